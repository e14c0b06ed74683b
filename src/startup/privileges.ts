import { chmod, chown, copyFile, mkdir, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DMS_ACCOUNT_FILES } from '../auth/accounts/dms-config-folder.ts';
import { DMS_RELAY_PASSWORDS } from '../config/environment.ts';
import type { Settings } from '../config/settings.ts';
import { HELPER_USER, systemAccount } from '../system-accounts.ts';
import { exists } from '../vocabulary/file-exists.ts';

/**
 * What the unprivileged helper needs before it starts, made by root: its state directory (0700)
 * with the database moved in from where earlier versions kept it, the directory of the socket
 * Postfix asks (group postfix inherited by the socket), and a readable accounts file.
 */
export async function prepareHelperFiles(settings: Settings): Promise<void> {
  const { paths } = settings;
  const [helper, postfix] = await Promise.all([systemAccount(HELPER_USER), systemAccount('postfix')]);
  await ownedDirectory(paths.helperState, helper, 0o700);
  await moveLegacyDatabase(paths.legacyStateDatabase, paths.stateDatabase);
  for (const suffix of ['', '-wal', '-shm']) {
    const file = `${paths.stateDatabase}${suffix}`;
    if (!(await exists(file))) continue;
    await chown(file, helper.uid, helper.gid);
    await chmod(file, 0o600);
  }
  // setgid: the socket the helper creates here belongs to group postfix, so Postfix (and no one else) may ask.
  await ownedDirectory(dirname(paths.socketmap), { uid: helper.uid, gid: postfix.gid }, 0o2750);
  await readableAccountsFile(settings.accountsFile, helper.gid, 'ACCOUNTS_FILE');
  // docker-mailserver's folder, when it is the accounts' source (0644 there: the hashes were everyone's).
  for (const name of DMS_ACCOUNT_FILES)
    await readableAccountsFile(`${paths.dmsConfigFolder}/${name}`, helper.gid, "docker-mailserver's config folder");
  await protectRelayPasswords(settings);
}

/** docker-mailserver leaves its relay passwords readable by everyone: root's alone here (0600). */
export async function protectRelayPasswords({ paths }: Settings): Promise<void> {
  const path = `${paths.dmsConfigFolder}/${DMS_RELAY_PASSWORDS}`;
  const info = await stat(path).catch(() => undefined);
  if (info === undefined || (info.mode & 0o077) === 0) return;
  await chmod(path, 0o600).catch((error: NodeJS.ErrnoException) =>
    console.warn(
      `idmail: warning: ${path} holds relay passwords and is readable by others, and cannot be made root's alone (${error.code}): chmod 600 it where it is mounted from`,
    ),
  );
}

async function ownedDirectory(path: string, owner: { uid: number; gid: number }, mode: number): Promise<void> {
  await mkdir(path, { recursive: true });
  await chown(path, owner.uid, owner.gid);
  await chmod(path, mode);
}

async function moveLegacyDatabase(legacy: string, current: string): Promise<void> {
  if (!(await exists(legacy)) || (await exists(current))) return;
  for (const suffix of ['-wal', '-shm', '']) {
    if (await exists(`${legacy}${suffix}`)) await rename(`${legacy}${suffix}`, `${current}${suffix}`);
  }
  console.log(`idmail: moved the state database to ${current}`);
}

/** The accounts file holds password hashes: root's and the helper group's (0640), never the world's. */
async function readableAccountsFile(path: string, helperGid: number, source: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return;
  try {
    await chown(path, info.uid, helperGid);
    await chmod(path, 0o640);
  } catch (error) {
    // A read-only mount: it must be readable as it is.
    const readable = (info.mode & 0o004) !== 0 || (info.gid === helperGid && (info.mode & 0o040) !== 0);
    if (!readable)
      throw new Error(
        `${source}: ${path} cannot be made readable for the helper (${(error as NodeJS.ErrnoException).code}); allowed: a file the container may chgrp, or one readable by group ${helperGid}`,
      );
  }
}

/**
 * The helper's copy of the certificate and key for its HTTPS listener: root's key file is not its to read.
 * Root's directory, the helper's group may read (0750, files 0640): nothing in it is the helper's to
 * replace, so root's copying there follows no link the helper made.
 */
export async function copyTlsForHelper(settings: Settings): Promise<void> {
  const { certPath, keyPath } = settings.tls;
  const target = settings.paths.helperTls;
  const helper = await systemAccount(HELPER_USER);
  await ownedDirectory(target, { uid: 0, gid: helper.gid }, 0o750);
  for (const [from, to] of [
    [certPath, `${target}/cert.pem`],
    [keyPath, `${target}/key.pem`],
  ] as const) {
    // Written aside (a name of this run) and renamed: a listener reading them never reads half a file.
    const aside = `${to}.${process.pid}.tmp`;
    await copyFile(from, aside);
    await chown(aside, 0, helper.gid);
    await chmod(aside, 0o640);
    await rename(aside, to);
  }
}
