import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { environmentFromJson, resolveFileVariables } from '../config/environment.ts';
import { ConfigError, loadSettings, type Settings } from '../config/settings.ts';
import { reloadRspamd } from '../dkim/rspamd-reload.ts';
import { ensureSigningKeys } from '../dkim/signing-domains.ts';
import { renderAll, replaceChanged } from '../render/render-all.ts';
import { protectRelayPasswords } from './privileges.ts';
import { writeHandedEnvironment } from './service-tree.ts';

const run = promisify(execFile);

/** What `idmail config-folder sync` did: `refused` keeps what is in service, until the folder changes again. */
export type ConfigFolderOutcome = 'applied' | 'refused';

/**
 * `idmail config-folder sync`, as root, when the config-folder service saw docker-mailserver's relay
 * tables or DKIM keys change: the container's environment is resolved anew (the folder's tables read as
 * a start reads them) and checked as a start checks it. What changed is applied without a restart:
 * Postfix's files replaced and reloaded, the DKIM keys taken into the store (rspamd reloads its maps),
 * and the helper, which answers which relay a sender's mail takes, reads its environment again.
 * A folder the start would refuse changes nothing: its problems are logged.
 */
export async function syncConfigFolder(containerEnvironmentPath: string): Promise<ConfigFolderOutcome> {
  const container = environmentFromJson(await readFile(containerEnvironmentPath, 'utf8'));
  let settings: Settings;
  try {
    settings = loadSettings(container);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`idmail: config folder: not applied, what is in service stays: ${error.problems.join('; ')}`);
    return 'refused';
  }
  await protectRelayPasswords(settings);
  const changed = await replaceChanged(await renderAll(settings));
  const keys = await ensureSigningKeys(settings);
  await writeHandedEnvironment(settings, resolveFileVariables(container).env);
  await run('s6-svc', ['-h', `${settings.paths.services}/helper`]);
  const reloaded = await reloadDaemons(settings, changed);
  console.log(
    `idmail: config folder: applied (${[...changed.map((path) => `${path} changed`), ...keys].join('; ') || 'nothing changed'}); reloaded ${['helper', ...reloaded].join(', ')}`,
  );
  return 'applied';
}

/** Postfix reloaded when one of its files changed, Dovecot when one of its: each keeps its open sessions. */
async function reloadDaemons(settings: Settings, changed: string[]): Promise<string[]> {
  const { postfixConfigDir, dovecotConfig } = settings.paths;
  const reloaded: string[] = [];
  if (changed.some((path) => path.startsWith(`${postfixConfigDir}/`))) {
    await run('postfix', ['reload']);
    reloaded.push('postfix');
  }
  if (changed.some((path) => path.startsWith(`${dirname(dovecotConfig)}/`))) {
    await run('doveadm', ['reload']);
    reloaded.push('dovecot');
  }
  if (settings.filter !== undefined) {
    // It reads its DKIM maps again.
    await reloadRspamd(settings);
    reloaded.push('rspamd');
  }
  return reloaded;
}
