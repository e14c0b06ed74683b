import type { Settings } from '../config/settings.ts';
import { type ChildSpec, SupervisedChild } from './child-process.ts';
import { prepare } from './prepare.ts';

/** Stop budget per daemon; the three together stay within Docker's default 10 s. */
const STOP_GRACE_MS = 3_000;

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
  const [helper, ...mailDaemons] = children as [SupervisedChild, ...SupervisedChild[]];
  // The helper needs no rendered file: it starts while directories, certificate and configs are made.
  helper.start();
  await prepare(settings).catch(async (error: unknown) => {
    await helper.stop(STOP_GRACE_MS);
    throw error;
  });
  for (const child of mailDaemons) child.start();
  console.log(`idmail: started ${children.map((child) => child.spec.name).join(', ')} for ${settings.hostname}`);

  await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  console.log('idmail: stopping postfix, dovecot, helper');
  for (const child of children.toReversed()) await child.stop(STOP_GRACE_MS);
  console.log('idmail: stopped');
}
