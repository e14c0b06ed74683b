import { execFile } from 'node:child_process';
import { chmod, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { purgeIntervalMs } from '../auth/provisioning/mailbox-purger.ts';
import type { Settings } from '../config/settings.ts';

const run = promisify(execFile);

/**
 * The s6 scan directory for this start: a fresh copy of the image's service tree (a restarted
 * container keeps /run, and with it last run's supervise state), with the services this
 * configuration runs; the purger only where the IdP deletes accounts, with its interval.
 */
export async function assembleServiceTree(settings: Settings): Promise<void> {
  const { services, serviceTemplates } = settings.paths;
  await rm(services, { recursive: true, force: true });
  await run('cp', ['-a', serviceTemplates, services]);
  await rm(settings.paths.stoppingMarker, { force: true });
  if (settings.provisioning === undefined) {
    await rm(`${services}/purger`, { recursive: true });
    return;
  }
  const seconds = Math.ceil(purgeIntervalMs(settings.provisioning.purgeAfterSeconds) / 1000);
  await writeFile(`${services}/purger/purge-interval`, `${seconds}\n`);
}

/**
 * The helper's environment as root resolved it (secrets from <VAR>__FILE included), for its run script
 * to hand over on standard input: a file root alone may read, never the environment of s6 or a daemon.
 */
export async function writeHandedEnvironment(settings: Settings, environment: Record<string, string>): Promise<void> {
  const path = settings.paths.handedEnvironment;
  await writeFile(path, JSON.stringify(environment), { mode: 0o600 });
  await chmod(path, 0o600);
}
