import { execFile } from 'node:child_process';
import { chown, mkdir, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { installCertificates } from '../certificates/certificate-install.ts';
import { resolveFileVariables } from '../config/environment.ts';
import type { Settings } from '../config/settings.ts';
import { ensureSigningKeys } from '../dkim/signing-domains.ts';
import { refuseDmsLayout } from '../migrate/dms-mailboxes.ts';
import { renderAll, writeRendered } from '../render/render-all.ts';
import { systemAccount } from '../system-accounts.ts';
import { exists } from '../vocabulary/file-exists.ts';
import { installDmsSieveScripts } from './dms-sieve-scripts.ts';
import { prepareHelperFiles } from './privileges.ts';
import { reconcileQueue } from './queue-reconciliation.ts';
import { assembleServiceTree, writeContainerEnvironment, writeHandedEnvironment } from './service-tree.ts';
import { applyVmailIds } from './vmail-account.ts';

const run = promisify(execFile);

/**
 * `idmail prepare`, as root, before s6 starts anything: directories, a certificate, config files, the queue
 * reconciled, and the service tree with the helper's environment. A daemon's listener never waits for a file.
 */
export async function prepare(settings: Settings, environment: NodeJS.ProcessEnv): Promise<void> {
  for (const warning of settings.warnings) console.warn(`idmail: warning: ${warning}`);
  for (const notice of settings.notices) console.log(`idmail: notice: ${notice}`);
  await prepareHelperFiles(settings);
  await prepareDaemonFiles(settings);
  await assembleServiceTree(settings);
  await writeHandedEnvironment(settings, resolveFileVariables(environment).env);
  await writeContainerEnvironment(settings, environment);
  console.log(`idmail: prepared helper, dovecot, postfix for ${settings.hostname}`);
}

async function prepareDaemonFiles(settings: Settings): Promise<void> {
  const { paths } = settings;
  await applyVmailIds(settings.vmail);
  const [vmail, postfix] = await Promise.all([systemAccount('vmail'), systemAccount('postfix')]);
  await mkdir(paths.mail, { recursive: true });
  await chown(paths.mail, vmail.uid, vmail.gid);
  await refuseDmsLayout(paths.mail);
  // A new state volume gets the empty queue (owners and modes kept), private/ included, which
  // Dovecot needs for its auth and LMTP sockets before Postfix starts.
  if (!(await exists(`${paths.postfixQueue}/active`))) {
    await mkdir(paths.postfixQueue, { recursive: true, mode: 0o755 });
    await run('cp', ['-a', `${paths.postfixQueueSkeleton}/.`, paths.postfixQueue]);
  }
  await mkdir(`${paths.state}/postfix-data`, { recursive: true });
  await chown(`${paths.state}/postfix-data`, postfix.uid, postfix.gid);
  // /run survives a container restart: a stale pid that now names a live process (any process)
  // would make Dovecot refuse to start ("already running"), again on every retry.
  await rm(`${paths.dovecotBaseDir}/master.pid`, { force: true });
  // SSL_TYPE's source checked (a problem stops the start) and installed for the daemons and the helper.
  await installCertificates(settings);
  await writeRendered(await renderAll(settings));
  // Compiled here, as root: at delivery Dovecot runs as vmail and could not save the binary beside it.
  if (settings.filter?.spamSubject !== undefined)
    await run('sievec', ['-c', paths.dovecotConfig, paths.spamSubjectSieve]);
  for (const line of await installDmsSieveScripts(settings)) console.log(`idmail: ${line}`);
  for (const line of await ensureSigningKeys(settings)) console.log(`idmail: ${line}`);
  // Exactly once is the aim, the mail server running is the duty: a failed check costs at worst a duplicate.
  await reconcileQueue(settings).catch((error: unknown) =>
    console.error(
      `idmail: queue: not reconciled (${(error as Error).message}); a message in delivery at the last stop may come twice`,
    ),
  );
}
