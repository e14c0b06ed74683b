import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import {
  dmsLayoutMailboxes,
  type MailboxFiles,
  migrateDmsMailboxes,
  migrateMailbox,
  nodeMailboxFiles,
  refuseDmsLayout,
} from '../../../src/migrate/dms-mailboxes.ts';

/** docker-mailserver's layout: the Maildir at the mailbox, the home with the Sieve scripts in home/. */
const DMS_FILES: Record<string, string> = {
  'cur/1700000000.M1P1.mail:2,S': 'Subject: read\n\nold mail\n',
  'new/1700000001.M2P1.mail': 'Subject: new\n\nnew mail\n',
  'tmp/.keep': '',
  '.Sent/cur/1700000002.M3P1.mail:2,S': 'Subject: sent\n\nsent mail\n',
  '.Sent/maildirfolder': '',
  'dovecot-uidlist': '3 V1700000000 N4\n1 1700000000.M1P1.mail\n',
  subscriptions: 'Sent\n',
  'home/sieve/rules.sieve': 'require "fileinto"; fileinto "Sent";\n',
  'home/.dovecot.svbin': 'compiled',
};
/** …and where each is in idmail's: the home is the mailbox, the Maildir in Maildir/. */
const OURS = (path: string) => (path.startsWith('home/') ? path.slice('home/'.length) : `Maildir/${path}`);

function dmsMailRoot(): { root: string; mailbox: string } {
  const root = mkdtempSync(join(tmpdir(), 'idmail-dms-mail-'));
  const mailbox = join(root, 'example.test', 'alice');
  for (const [path, text] of Object.entries(DMS_FILES)) {
    mkdirSync(join(mailbox, path, '..'), { recursive: true });
    writeFileSync(join(mailbox, path), text);
  }
  symlinkSync('sieve/rules.sieve', join(mailbox, 'home/.dovecot.sieve'));
  mkdirSync(join(root, 'example.test', 'bob', 'Maildir', 'cur'), { recursive: true }); // idmail's layout already
  return { root, mailbox };
}

/** Every file under the mailbox with its content (a symlink as its target). */
function tree(dir: string, base = dir): Record<string, string> {
  const found: Record<string, string> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) found[relative(base, path)] = `-> ${readFileSync(path, 'utf8').length} bytes`;
    else if (entry.isDirectory()) Object.assign(found, tree(path, base));
    else found[relative(base, path)] = readFileSync(path, 'utf8');
  }
  return found;
}

const expected = () =>
  Object.fromEntries([
    ...Object.entries(DMS_FILES).map(([path, text]) => [OURS(path), text]),
    ['.dovecot.sieve', `-> ${DMS_FILES['home/sieve/rules.sieve']?.length} bytes`],
  ]);

/** node:fs, but the changing calls fail from the `survivingChanges`+1-th on: a kill at that point. */
function killedAfter(survivingChanges: number): MailboxFiles {
  let changes = 0;
  const change =
    <A extends unknown[]>(operation: (...args: A) => Promise<void>) =>
    async (...args: A) => {
      if (changes++ >= survivingChanges) throw new Error('killed');
      await operation(...args);
    };
  return {
    ...nodeMailboxFiles,
    mkdir: change(nodeMailboxFiles.mkdir),
    rename: change(nodeMailboxFiles.rename),
    rmdir: change(nodeMailboxFiles.rmdir),
    chown: change(nodeMailboxFiles.chown),
  };
}

async function migrateAll(root: string, files: MailboxFiles = nodeMailboxFiles): Promise<void> {
  for (const mailbox of await dmsLayoutMailboxes(root, files)) await migrateMailbox(mailbox, files);
}

describe("docker-mailserver's mailbox layout", () => {
  it('finds the mailboxes in its layout, not those in ours', async () => {
    const { root, mailbox } = dmsMailRoot();
    assert.deepEqual(await dmsLayoutMailboxes(root), [mailbox]);
  });

  it('moves a mailbox into ours: every message, folder, index and Sieve script, owner kept', async () => {
    const { root, mailbox } = dmsMailRoot();
    await migrateAll(root);
    assert.deepEqual(tree(mailbox), expected());
    assert.deepEqual(await dmsLayoutMailboxes(root), []);
    assert.equal(statSync(join(mailbox, 'Maildir')).uid, statSync(mailbox).uid);
  });

  it('killed at any point, loses and duplicates nothing, and the next run finishes it', async () => {
    let points = 0;
    for (let survivingChanges = 0; ; survivingChanges += 1) {
      const { root, mailbox } = dmsMailRoot();
      const killed = await migrateAll(root, killedAfter(survivingChanges)).then(
        () => false,
        (error: Error) => error.message === 'killed',
      );
      await migrateAll(root);
      assert.deepEqual(tree(mailbox), expected(), `killed after ${survivingChanges} changes`);
      if (!killed) break;
      points += 1;
    }
    assert.ok(points >= 10, `only ${points} points to be killed at`);
  });

  it('overwrites nothing: a name the target has already stops it, naming both', async () => {
    const { root, mailbox } = dmsMailRoot();
    mkdirSync(join(mailbox, 'Maildir', 'cur'), { recursive: true });
    await assert.rejects(
      migrateAll(root),
      /Maildir\/cur exists already: not overwritten \(move .*\/alice\/cur by hand/,
    );
  });

  it('stops the start on a mail volume in its layout, naming the command, until the command has run', async () => {
    const { root, mailbox } = dmsMailRoot();
    await assert.rejects(
      refuseDmsLayout(root),
      new RegExp(
        `holds 1 mailbox\\(es\\) in docker-mailserver's layout \\(first: ${mailbox}\\).*"docker compose run --rm <service> migrate docker-mailserver"`,
      ),
    );
    const lines: string[] = [];
    await migrateDmsMailboxes(root, (line) => lines.push(line));
    assert.deepEqual(lines, [
      `moved ${mailbox} into idmail's layout`,
      `1 mailbox(es) moved; ${root} is in idmail's layout`,
    ]);
    await refuseDmsLayout(root);
    const fresh = mkdtempSync(join(tmpdir(), 'idmail-fresh-mail-'));
    await refuseDmsLayout(fresh);
    assert.deepEqual(readdirSync(fresh), ['.idmail-layout']);
  });
});
