import { connect } from 'node:net';
import type { Settings } from '../config/settings.ts';
import { type ChildSpec, SupervisedChild } from './child-process.ts';
import { spawn } from 'node:child_process';
import { purgeIntervalMs } from '../auth/provisioning/mailbox-purger.ts';
import { prepare } from './prepare.ts';
import { prepareHelperFiles, unprivilegedCommand } from './privileges.ts';

/** Stop budget per daemon; the three together stay within Docker's default 10 s. */
const STOP_GRACE_MS = 3_000;
/** How long Postfix waits for the helper's lookup socket before it starts anyway. */
const HELPER_WAIT_MS = 10_000;

/** Resolves once a unix socket accepts a connection, or after the timeout. */
async function socketAnswers(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const accepted = await new Promise<boolean>((resolve) => {
      const probe = connect(path);
      probe.once('error', () => resolve(false)).once('connect', () => {
        probe.destroy();
        resolve(true);
      });
    });
    if (accepted) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** What Dovecot and Postfix get of the environment: no secret (client secrets, bind passwords, SCIM token) reaches them. */
/**
 * Deleted provisioned accounts past their grace period are purged by `idmail provisioned purge`, as
 * root: their mail is vmail's, which the unprivileged helper may not remove. One run at a time.
 */
function schedulePurges(purgeAfterSeconds: number, helperCommand: string[]): NodeJS.Timeout {
  const [node = process.execPath, cli = ''] = helperCommand;
  let running = false;
  const purge = () => {
    if (running) return;
    running = true;
    const child = spawn(node, [cli, 'provisioned', 'purge'], { stdio: 'inherit' });
    child.once('exit', () => (running = false)).once('error', (error) => {
      running = false;
      console.error(`idmail: purge: ${error.message}`);
    });
  };
  purge();
  return setInterval(purge, purgeIntervalMs(purgeAfterSeconds));
}

function daemonEnvironment(): NodeJS.ProcessEnv {
  const kept = ['PATH', 'TZ', 'LANG'].filter((name) => process.env[name] !== undefined);
  return Object.fromEntries(kept.map((name) => [name, process.env[name]]));
}

function daemons(settings: Settings, helperCommand: string[], helperEnv: NodeJS.ProcessEnv): ChildSpec[] {
  const [command = 'setpriv', ...args] = unprivilegedCommand(helperCommand);
  return [
    // The helper reads its settings from the environment root resolved (secrets from <VAR>__FILE included: their files may be root's alone).
    { name: 'helper', command, args, env: helperEnv },
    { name: 'dovecot', command: 'dovecot', args: ['-F', '-c', settings.paths.dovecotConfig], env: daemonEnvironment() },
    // master itself, in the foreground: `postfix start-fg` re-checks the whole installation on every
    // start (seconds). SIGTERM is what `postfix stop` sends; the queue stays on disk for the next start.
    { name: 'postfix', command: '/usr/lib/postfix/sbin/master', args: ['-s'], env: daemonEnvironment() },
  ];
}

/**
 * The container's main process: starts the helper, prepares configs, starts Dovecot → Postfix,
 * restarts whichever dies, and on SIGTERM stops them in the reverse order.
 */
export async function supervise(settings: Settings, helperCommand: string[], helperEnv: NodeJS.ProcessEnv): Promise<void> {
  for (const warning of settings.warnings) console.warn(`idmail: warning: ${warning}`);
  const children = daemons(settings, helperCommand, helperEnv).map((spec) => new SupervisedChild(spec));
  const [helper, dovecot, postfix] = children as [SupervisedChild, SupervisedChild, SupervisedChild];
  // The helper needs no rendered file: it starts while the certificate and configs are made (its own directories first).
  await prepareHelperFiles(settings);
  helper.start();
  await prepare(settings).catch(async (error: unknown) => {
    await helper.stop(STOP_GRACE_MS);
    throw error;
  });
  dovecot.start();
  // Postfix resolves queued mail at once; a lookup that finds no helper (or last run's stale socket
  // in /run) leaves the message deferred with "address resolver failure".
  await socketAnswers(settings.paths.socketmap, HELPER_WAIT_MS);
  postfix.start();
  console.log(`idmail: started ${children.map((child) => child.spec.name).join(', ')} for ${settings.hostname}`);
  const purges = settings.provisioning === undefined ? undefined : schedulePurges(settings.provisioning.purgeAfterSeconds, helperCommand);

  await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  if (purges !== undefined) clearInterval(purges);
  console.log('idmail: stopping postfix, dovecot, helper');
  for (const child of children.toReversed()) await child.stop(STOP_GRACE_MS);
  console.log('idmail: stopped');
}
