import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { purgeIntervalMs } from '../auth/provisioning/mailbox-purger.ts';
import { watchedFiles } from '../certificates/certificate-source.ts';
import { DMS_RELAY_MAP, DMS_RELAY_PASSWORDS } from '../config/environment.ts';
import { withheldRelayPasswords } from '../config/relay-settings.ts';
import type { Settings } from '../config/settings.ts';
import { renderMailLogRotation } from '../render/mail-log.ts';
import { HELPER_USER, systemAccount } from '../system-accounts.ts';
import { exists } from '../vocabulary/file-exists.ts';

const run = promisify(execFile);

/**
 * The s6 scan directory for this start: a fresh copy of the image's service tree (a restarted
 * container keeps /run, and with it last run's supervise state), with the services this
 * configuration runs; the purger only where the IdP deletes accounts, with its interval; logrotate with
 * what it turns over how often; hash-upgrades only with PASSWORD_HASH_UPGRADE.
 */
export async function assembleServiceTree(settings: Settings): Promise<void> {
  const { services, serviceTemplates } = settings.paths;
  // Root's alone: in the helper's own directory (/run/idmail) the helper could swap a run script or the
  // environment the root services read for its own.
  await mkdir(dirname(services), { recursive: true, mode: 0o700 });
  await chmod(dirname(services), 0o700);
  await rm(services, { recursive: true, force: true });
  await run('cp', ['-a', serviceTemplates, services]);
  await rm(settings.paths.stoppingMarker, { force: true });
  await certificatesService(settings);
  await configFolderService(settings);
  if (settings.passwordHashUpgrade)
    await writeFile(`${services}/hash-upgrades/queue-folder`, `${settings.paths.hashUpgradeQueue}\n`);
  else await rm(`${services}/hash-upgrades`, { recursive: true });
  await writeFile(`${services}/logrotate/mail-log.conf`, await renderMailLogRotation(settings));
  // rspamd only as the milter (ENABLE_RSPAMD), Valkey only for it (ENABLE_RSPAMD_REDIS).
  if (settings.filter === undefined) await rm(`${services}/rspamd`, { recursive: true });
  if (settings.filter?.redis !== true) await rm(`${services}/valkey`, { recursive: true });
  if (settings.provisioning === undefined) {
    await rm(`${services}/purger`, { recursive: true });
    return;
  }
  const seconds = Math.ceil(purgeIntervalMs(settings.provisioning.purgeAfterSeconds) / 1000);
  await writeFile(`${services}/purger/purge-interval`, `${seconds}\n`);
}

/**
 * The certificates service watches the source's files for a new certificate; a self-signed one is made
 * here and changes with a restart only, so it runs without it.
 */
async function certificatesService(settings: Settings): Promise<void> {
  const directory = `${settings.paths.services}/certificates`;
  if (settings.tls.source === 'self-signed') {
    await rm(directory, { recursive: true, force: true });
    return;
  }
  await writeFile(`${directory}/watched-files`, `${watchedFiles(settings.tls.origin).join('\n')}\n`);
}

/**
 * The config-folder service looks at docker-mailserver's relay tables and DKIM key folders every
 * DMS_CONFIG_POLL seconds; what this start read is the first checksum applied. Without the folder it does not run.
 */
async function configFolderService(settings: Settings): Promise<void> {
  const directory = `${settings.paths.services}/config-folder`;
  if (!(await exists(settings.paths.dmsConfigFolder))) {
    await rm(directory, { recursive: true, force: true });
    return;
  }
  await writeFile(`${directory}/watched-paths`, `${configFolderWatchedPaths(settings).join('\n')}\n`);
  await writeFile(`${directory}/poll-seconds`, `${settings.configFolderPollSeconds}\n`);
  const { stdout } = await run('./checksum', [], { cwd: directory });
  await writeFile(`${directory}/applied`, stdout);
}

/** What a change of applies without a restart: the relay tables, the DKIM keys brought along (DMS's and ours). */
function configFolderWatchedPaths({ paths }: Settings): string[] {
  const folder = paths.dmsConfigFolder;
  return [
    join(folder, DMS_RELAY_MAP),
    join(folder, DMS_RELAY_PASSWORDS),
    join(folder, 'opendkim', 'keys'),
    join(folder, 'rspamd', 'dkim'),
    paths.mountedDkimKeys,
  ];
}

/**
 * The helper's environment as root resolved it (secrets from <VAR>__FILE included), for its run script
 * to hand over on standard input and for its reload to read again: root's file in root's folder, the
 * helper's group may read both, never replace them; never the environment of s6 or a daemon. Relay
 * passwords are left out: only Postfix signs in at a relay, from root's table.
 */
export async function writeHandedEnvironment(settings: Settings, environment: Record<string, string>): Promise<void> {
  const path = settings.paths.handedEnvironment;
  const helper = await systemAccount(HELPER_USER);
  await mkdir(dirname(path), { recursive: true, mode: 0o750 });
  await chown(dirname(path), 0, helper.gid);
  await chmod(dirname(path), 0o750);
  const staged = `${path}.new`;
  await writeFile(staged, JSON.stringify(withheldRelayPasswords(environment)), { mode: 0o640 });
  await chown(staged, 0, helper.gid);
  await chmod(staged, 0o640);
  // Replaced at once: the helper or a service reading it meanwhile gets the old one or the new one, whole.
  await rename(staged, path);
}

/** The container's environment as it came, for a config-folder sync to resolve anew (root's alone: its secrets). */
export async function writeContainerEnvironment(settings: Settings, environment: NodeJS.ProcessEnv): Promise<void> {
  const path = settings.paths.containerEnvironment;
  await writeFile(path, JSON.stringify(environment), { mode: 0o600 });
  await chmod(path, 0o600);
}
