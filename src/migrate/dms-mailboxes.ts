import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { exists } from '../vocabulary/file-exists.ts';

/**
 * docker-mailserver keeps a mailbox as a Maildir at /var/mail/<domain>/<user>/ with the home (Sieve
 * scripts) in its `home/`; idmail's home is /var/mail/<domain>/<user>/ with the Maildir in `Maildir/`.
 * Moving one into the other is renames only, each atomic and each found undone or done by looking:
 * a migration killed at any point loses and duplicates nothing, and the next run finishes it.
 */
const MAILDIR = 'Maildir';
const DMS_HOME = 'home';
/** The home, renamed once the Maildir is moved: what is at the top from then on is the home's. */
const EMPTYING_HOME = '.idmail-dms-home';
/** What only docker-mailserver's layout (or a migration under way) has at the top of a mailbox. */
const DMS_MARKERS = ['cur', 'new', 'tmp', DMS_HOME, EMPTYING_HOME];

/** The file operations a migration makes: node:fs, or a test's that fails midway. */
export interface MailboxFiles {
  readdir(path: string): Promise<string[]>;
  mkdir(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  chown(path: string, uid: number, gid: number): Promise<void>;
  stat(path: string): Promise<{ uid: number; gid: number }>;
}

export const nodeMailboxFiles: MailboxFiles = {
  readdir: (path) => fs.readdir(path),
  mkdir: async (path) => {
    await fs.mkdir(path, { recursive: true });
  },
  rename: (from, to) => fs.rename(from, to),
  rmdir: (path) => fs.rmdir(path),
  chown: (path, uid, gid) => fs.chown(path, uid, gid),
  stat: (path) => fs.stat(path),
};

const entriesOf = (files: MailboxFiles, path: string): Promise<string[]> =>
  files.readdir(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return [];
    throw error;
  });

/** The mailboxes under the mail root still (or partly) in docker-mailserver's layout. */
export async function dmsLayoutMailboxes(mailRoot: string, files: MailboxFiles = nodeMailboxFiles): Promise<string[]> {
  const found: string[] = [];
  for (const domain of (await entriesOf(files, mailRoot)).sort()) {
    for (const user of (await entriesOf(files, join(mailRoot, domain))).sort()) {
      const mailbox = join(mailRoot, domain, user);
      const entries = await entriesOf(files, mailbox);
      if (entries.some((entry) => DMS_MARKERS.includes(entry))) found.push(mailbox);
    }
  }
  return found;
}

/**
 * One mailbox into idmail's layout: the Maildir's entries into Maildir/ (owned as the mailbox is);
 * then the home renamed (the step that says the first is done), its entries moved up, and it removed.
 * A name the target already has stops it: nothing is overwritten.
 */
export async function migrateMailbox(mailbox: string, files: MailboxFiles = nodeMailboxFiles): Promise<void> {
  const home = join(mailbox, EMPTYING_HOME);
  const entries = await entriesOf(files, mailbox);
  if (!entries.includes(EMPTYING_HOME)) {
    await moveMaildir(mailbox, entries, files);
    if (!entries.includes(DMS_HOME)) return;
    await files.rename(join(mailbox, DMS_HOME), home);
  }
  for (const entry of await entriesOf(files, home)) await moveInto(files, join(home, entry), join(mailbox, entry));
  await files.rmdir(home);
}

async function moveMaildir(mailbox: string, entries: string[], files: MailboxFiles): Promise<void> {
  const maildir = join(mailbox, MAILDIR);
  const owner = await files.stat(mailbox);
  await files.mkdir(maildir);
  await files.chown(maildir, owner.uid, owner.gid);
  for (const entry of entries) {
    if (entry !== MAILDIR && entry !== DMS_HOME) await moveInto(files, join(mailbox, entry), join(maildir, entry));
  }
}

async function moveInto(files: MailboxFiles, from: string, to: string): Promise<void> {
  if (await exists(to))
    throw new Error(`${to} exists already: not overwritten (move ${from} by hand, then run the migration again)`);
  await files.rename(from, to);
}

/** In the mail root once its mailboxes are all in idmail's layout: later starts need not look. */
const LAYOUT_MARKER = '.idmail-layout';

/**
 * At start: a mail volume from docker-mailserver stops it until `idmail migrate docker-mailserver` has
 * run (its mailboxes would look empty); one found in idmail's layout is marked so.
 */
export async function refuseDmsLayout(mailRoot: string): Promise<void> {
  const marker = join(mailRoot, LAYOUT_MARKER);
  if (await exists(marker)) return;
  const mailboxes = await dmsLayoutMailboxes(mailRoot);
  if (mailboxes.length > 0)
    throw new Error(
      `${mailRoot} holds ${mailboxes.length} mailbox(es) in docker-mailserver's layout (first: ${mailboxes[0]}), which would look empty here; allowed: move them into idmail's once, in place, with "docker compose run --rm <service> migrate docker-mailserver" (safe to run again after an interruption; see docs/migrating-from-docker-mailserver.md)`,
    );
  await fs.writeFile(marker, "idmail's mailbox layout: home /var/mail/<domain>/<user>, mail in its Maildir/\n");
}

/** `idmail migrate docker-mailserver`: every mailbox still (or partly) in docker-mailserver's layout, then the marker. */
export async function migrateDmsMailboxes(mailRoot: string, report: (line: string) => void): Promise<void> {
  const mailboxes = await dmsLayoutMailboxes(mailRoot);
  for (const mailbox of mailboxes) {
    await migrateMailbox(mailbox);
    report(`moved ${mailbox} into idmail's layout`);
  }
  await refuseDmsLayout(mailRoot);
  report(`${mailboxes.length} mailbox(es) moved; ${mailRoot} is in idmail's layout`);
}
