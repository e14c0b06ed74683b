import { connect } from 'node:net';
import type { Settings } from '../config/settings.ts';
import { type ChildSpec, SupervisedChild } from './child-process.ts';
import { prepare } from './prepare.ts';

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

function daemons(settings: Settings, helperCommand: string[]): ChildSpec[] {
  const [command = process.execPath, ...args] = helperCommand;
  return [
    { name: 'helper', command, args },
    { name: 'dovecot', command: 'dovecot', args: ['-F', '-c', settings.paths.dovecotConfig] },
    // master itself, in the foreground: `postfix start-fg` re-checks the whole installation on every
    // start (seconds). SIGTERM is what `postfix stop` sends; the queue stays on disk for the next start.
    { name: 'postfix', command: '/usr/lib/postfix/sbin/master', args: ['-s'] },
  ];
}

/**
 * The container's main process: starts the helper, prepares configs, starts Dovecot → Postfix,
 * restarts whichever dies, and on SIGTERM stops them in the reverse order.
 */
export async function supervise(settings: Settings, helperCommand: string[]): Promise<void> {
  const children = daemons(settings, helperCommand).map((spec) => new SupervisedChild(spec));
  const [helper, dovecot, postfix] = children as [SupervisedChild, SupervisedChild, SupervisedChild];
  // The helper needs no rendered file: it starts while directories, certificate and configs are made.
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

  await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  console.log('idmail: stopping postfix, dovecot, helper');
  for (const child of children.toReversed()) await child.stop(STOP_GRACE_MS);
  console.log('idmail: stopped');
}
