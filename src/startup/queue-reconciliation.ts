import { spawn } from 'node:child_process';
import { mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Settings } from '../config/settings.ts';
import { domainOf, localPartOf } from '../vocabulary/address.ts';

/**
 * Runs a Postfix command before Postfix runs. What it prints goes to `output` when given, else to the
 * container's standard output; its log lines go to syslog (rsyslog is not up yet at prepare: they are lost).
 */
async function postfixCommand(command: string, args: string[], output?: string): Promise<void> {
  const file = output === undefined ? undefined : await open(output, 'w');
  try {
    const child = spawn(command, args, { stdio: ['ignore', file?.fd ?? 'inherit', 'inherit'] });
    const code = await new Promise<number | null>((resolve, reject) =>
      child.once('error', reject).once('exit', resolve),
    );
    if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}`);
  } finally {
    await file?.close();
  }
}

/** What `postcat -e -q ID` prints about a queue file. */
async function envelopeText(id: string, configDir: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'idmail-postcat-'));
  try {
    await postfixCommand('postcat', ['-c', configDir, '-e', '-q', id], join(dir, 'envelope'));
    return await readFile(join(dir, 'envelope'), 'utf8');
  } catch {
    return '';
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What a queued message still has to do: its queue id, when it arrived, and the recipients not yet done. */
export interface QueuedMessage {
  id: string;
  arrivedAt: Date;
  recipients: string[];
}

/** The envelope of a queue file as `postcat -e` prints it (delivered recipients are no longer `recipient:` records). */
export function parseEnvelope(id: string, postcat: string): QueuedMessage {
  const arrival = /^message_arrival_time: (.+)$/m.exec(postcat)?.[1];
  const recipients = [...postcat.matchAll(/^recipient: (.+)$/gm)].map((match) => (match[1] as string).toLowerCase());
  return { id, arrivedAt: new Date(arrival ?? 0), recipients };
}

/** A Maildir file's header block (up to the first empty line), read no further. */
async function headerOf(path: string): Promise<string> {
  const file = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(16 * 1024), 0, 16 * 1024, 0);
    const text = buffer.subarray(0, bytesRead).toString('latin1');
    const end = text.search(/\r?\n\r?\n/);
    return end < 0 ? text : text.slice(0, end);
  } catch {
    return '';
  } finally {
    await file.close();
  }
}

/**
 * Whether a message of this queue id already lies in the recipient's Maildir: Dovecot's
 * Delivered-To names the recipient, Postfix's Received header the queue id. Only files saved
 * since the message arrived are read (a Maildir file's name starts with its delivery time).
 */
export async function deliveredTo(mailRoot: string, recipient: string, message: QueuedMessage): Promise<boolean> {
  const mailbox = join(mailRoot, domainOf(recipient), localPartOf(recipient).split('+')[0] as string, 'Maildir');
  const since = Math.floor(message.arrivedAt.getTime() / 1000) - 1;
  const idPattern = new RegExp(`\\bid ${message.id}\\b`);
  const deliveredToPattern = new RegExp(
    `^Delivered-To: <?${recipient.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}>?$`,
    'im',
  );
  for (const folder of ['new', 'cur']) {
    const names = await readdir(join(mailbox, folder)).catch(() => [] as string[]);
    for (const name of names.filter((file) => Number(file.split('.')[0]) >= since)) {
      const header = await headerOf(join(mailbox, folder, name));
      if (idPattern.test(header) && deliveredToPattern.test(header)) return true;
    }
  }
  return false;
}

/**
 * After an unclean stop, a message Postfix was handing over can lie in the mailbox already while
 * the queue still holds it (the save came before Postfix heard "250"); Postfix would deliver it
 * again. Before Postfix starts, each message in the active queue whose every remaining recipient
 * has it already is removed from the queue. Messages with some recipients still to go are left to
 * Postfix (the Sieve deduplication catches most repeats there).
 */
export async function reconcileQueue(settings: Settings): Promise<string[]> {
  const { postfixQueue, postfixConfigDir, mail } = settings.paths;
  const ids = await readdir(join(postfixQueue, 'active')).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const id of ids.filter((name) => /^[0-9A-Za-z]+$/.test(name))) {
    const message = parseEnvelope(id, await envelopeText(id, postfixConfigDir));
    if (message.recipients.length === 0) continue;
    const delivered = await Promise.all(message.recipients.map((recipient) => deliveredTo(mail, recipient, message)));
    if (!delivered.every(Boolean)) continue;
    await postfixCommand('postsuper', ['-c', postfixConfigDir, '-d', id, 'active']);
    console.log(
      `idmail: queue: ${id} was delivered to ${message.recipients.join(', ')} before the last stop; removed so it is not delivered twice`,
    );
    removed.push(id);
  }
  return removed;
}
