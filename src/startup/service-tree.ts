import { execFile } from 'node:child_process';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { purgeIntervalMs } from '../auth/provisioning/mailbox-purger.ts';
import { watchedFiles } from '../certificates/certificate-source.ts';
import { withheldRelayPasswords } from '../config/relay-settings.ts';
import type { Settings } from '../config/settings.ts';
import { renderMailLogRotation } from '../render/mail-log.ts';

const run = promisify(execFile);

/**
 * The s6 scan directory for this start: a fresh copy of the image's service tree (a restarted
 * container keeps /run, and with it last run's supervise state), with the services this
 * configuration runs; the purger only where the IdP deletes accounts, with its interval; logrotate with
 * what it turns over how often.
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
 * The helper's environment as root resolved it (secrets from <VAR>__FILE included), for its run script
 * to hand over on standard input: a file root alone may read, never the environment of s6 or a daemon.
 * Relay passwords are left out: only Postfix signs in at a relay, from root's table.
 */
export async function writeHandedEnvironment(settings: Settings, environment: Record<string, string>): Promise<void> {
  const path = settings.paths.handedEnvironment;
  await writeFile(path, JSON.stringify(withheldRelayPasswords(environment)), { mode: 0o600 });
  await chmod(path, 0o600);
}
