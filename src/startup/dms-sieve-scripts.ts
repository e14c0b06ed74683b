import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { copyFile, lchown, lstat, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { mailboxPath } from '../auth/provisioning/mailbox-purger.ts';
import { DMS_SIEVE_FILES } from '../config/environment.ts';
import type { Settings } from '../config/settings.ts';
import { systemAccount } from '../system-accounts.ts';
import { parseAddress } from '../vocabulary/address.ts';

const run = promisify(execFile);

const USER_SCRIPT = /^(.+)\.dovecot\.sieve$/;

/**
 * docker-mailserver's Sieve files in its config folder, taken up at every start as its own start does:
 * `<address>.dovecot.sieve` becomes that mailbox's active script (replacing the one it had, as in DMS),
 * `before.dovecot.sieve` and `after.dovecot.sieve` run for every mailbox (compiled here, as root).
 * A file this cannot place stops the start (program folders, sieve-pipe/ and sieve-filter/, stop it
 * earlier: dms-config-files.ts). Returns what it did, for the log.
 */
export async function installDmsSieveScripts(settings: Settings): Promise<string[]> {
  const { paths } = settings;
  const names = await readdir(paths.dmsConfigFolder).catch(() => [] as string[]);
  const folderFile = (name: string) => join(paths.dmsConfigFolder, name);
  await installGlobal(folderFile(DMS_SIEVE_FILES.before), paths.dmsSieveBefore, settings.dmsSieve.before, settings);
  await installGlobal(folderFile(DMS_SIEVE_FILES.after), paths.dmsSieveAfter, settings.dmsSieve.after, settings);
  const globalFiles = new Set<string>(Object.values(DMS_SIEVE_FILES));
  // Every name checked before any mailbox is written; vmail looked up once for all of them.
  const scripts = names
    .filter((name) => USER_SCRIPT.test(name) && !globalFiles.has(name))
    .map((name) => ({ source: folderFile(name), address: addressOf(name) }));
  if (scripts.length > 0) {
    const vmail = await systemAccount('vmail');
    for (const { source, address } of scripts) await installUserScript(source, address, vmail, settings);
  }
  const global = (['before', 'after'] as const).filter((which) => settings.dmsSieve[which]);
  return [
    ...(scripts.length > 0 ? [`docker-mailserver Sieve: ${scripts.length} mailbox script(s) made active`] : []),
    ...global.map((which) => `docker-mailserver Sieve: ${DMS_SIEVE_FILES[which]} runs for every mailbox`),
  ];
}

function addressOf(name: string): string {
  const login = USER_SCRIPT.exec(name)?.[1] ?? '';
  try {
    return parseAddress(login);
  } catch (error) {
    throw new Error(
      `${name} in docker-mailserver's config folder names no mailbox (${(error as Error).message}); allowed: <address>.dovecot.sieve, before.dovecot.sieve, after.dovecot.sieve`,
    );
  }
}

/** Copied and compiled where Dovecot reads it; gone when the folder no longer has it. */
async function installGlobal(source: string, target: string, wanted: boolean, settings: Settings): Promise<void> {
  if (!wanted) {
    await rm(target, { force: true });
    await rm(target.replace(/\.sieve$/, '.svbin'), { force: true });
    return;
  }
  await copyFile(source, target);
  await run('sievec', ['-c', settings.paths.dovecotConfig, target]).catch((error: { stderr?: string }) => {
    throw new Error(`${source} does not compile: ${(error.stderr ?? '').trim()}`);
  });
}

/**
 * The mailbox's active script (~/.dovecot.sieve), vmail's; a link that was there (ManageSieve's) is
 * replaced, not followed. Root works in a folder vmail may write: nothing in it is followed.
 */
async function installUserScript(
  source: string,
  address: string,
  vmail: { uid: number; gid: number },
  settings: Settings,
): Promise<void> {
  const home = mailboxPath(settings.paths.mail, address);
  // A mailbox that had no mail yet gets its home here, its domain's folder too: vmail's, as Dovecot makes them.
  for (const directory of [dirname(home), home]) await vmailFolder(directory, vmail);
  const script = await readFile(source);
  const staged = join(home, '.dovecot.sieve.idmail-new');
  await rm(staged, { force: true });
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const handle = await open(staged, flags, 0o600);
  try {
    await handle.writeFile(script);
    await handle.chown(vmail.uid, vmail.gid);
  } finally {
    await handle.close();
  }
  await rename(staged, join(home, '.dovecot.sieve'));
}

/** A folder of vmail's, made where missing; a link in its place is refused. */
async function vmailFolder(path: string, vmail: { uid: number; gid: number }): Promise<void> {
  await mkdir(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  if (!(await lstat(path)).isDirectory()) throw new Error(`${path} is no folder (a link?); allowed: a mailbox folder`);
  await lchown(path, vmail.uid, vmail.gid);
}
