import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Settings } from '../config/settings.ts';

const run = promisify(execFile);

/** rspamd reads its maps again on SIGHUP; a stopped or absent service has nothing to reload. */
export async function reloadRspamd(settings: Settings): Promise<void> {
  await run('s6-svc', ['-h', `${settings.paths.services}/rspamd`]).catch(() => undefined);
}
