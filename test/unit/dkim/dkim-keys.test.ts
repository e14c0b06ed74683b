import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  type DkimKeyStore,
  ensureDkimKeys,
  listDkimKeys,
  retireDkimKey,
  rotateDkimKey,
} from '../../../src/dkim/dkim-keys.ts';
import { dkimRecord } from '../../../src/dkim/dns-record.ts';

const settings = { selector: 'mail', keyBits: 1024 as const };

async function newStore(): Promise<DkimKeyStore> {
  const root = await mkdtemp(join(tmpdir(), 'idmail-dkim-'));
  return { dir: join(root, 'dkim'), mountedDir: join(root, 'mounted') };
}

describe('DKIM keys', () => {
  it('makes one key per domain once, readable by rspamd only, and maps each domain to it', async () => {
    const store = await newStore();
    const made = await ensureDkimKeys(store, settings, ['example.org', 'example.net']);
    assert.equal(made.length, 2);
    assert.match(made[0]!, /made a 1024-bit DKIM key mail for example\.org/);
    const key = join(store.dir, 'example.org', 'mail.key');
    assert.equal((await stat(key)).mode & 0o777, 0o640);
    assert.equal(createPrivateKey(await readFile(key, 'utf8')).asymmetricKeyDetails?.modulusLength, 1024);
    assert.deepEqual(await ensureDkimKeys(store, settings, ['example.org', 'example.net']), []);
    assert.equal(
      await readFile(join(store.dir, 'keys.map'), 'utf8'),
      `example.org ${key}\nexample.net ${join(store.dir, 'example.net', 'mail.key')}\n`,
    );
    assert.equal(await readFile(join(store.dir, 'selectors.map'), 'utf8'), 'example.org mail\nexample.net mail\n');
  });

  it('uses a mounted key instead, so records published before a move stay valid', async () => {
    const store = await newStore();
    await ensureDkimKeys(store, settings, ['example.org']);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    await mkdir(join(store.mountedDir, 'example.org'), { recursive: true });
    await writeFile(
      join(store.mountedDir, 'example.org', 'old2019.key'),
      privateKey.export({ type: 'pkcs8', format: 'pem' }),
    );
    const [line] = await ensureDkimKeys(store, settings, ['example.org']);
    assert.match(line!, /using the DKIM key old2019 for example\.org from .*\/mounted\/example\.org\/old2019\.key$/);
    const active = (await listDkimKeys(store, 'example.org')).filter((key) => key.active);
    const expected = createPublicKey(privateKey).export({ type: 'spki', format: 'der' }).toString('base64');
    assert.deepEqual(
      active.map((key) => [key.selector, key.publicKey]),
      [['old2019', expected]],
    );
    await assert.rejects(rotateDkimKey(store, settings, 'example.org', ['example.org']), /is brought along/);
  });

  for (const [source, file] of [
    ['OpenDKIM', 'opendkim/keys/example.org/mail.private'],
    ['rspamd', 'rspamd/dkim/rsa-1024-mail-example.org.private.txt'],
  ] as const) {
    it(`takes docker-mailserver's ${source} key as it is, so its published record stays valid`, async () => {
      const root = await mkdtemp(join(tmpdir(), 'idmail-dkim-dms-'));
      const store = { dir: join(root, 'dkim'), mountedDir: join(root, 'mounted'), dmsFolder: join(root, 'dms') };
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
      await mkdir(join(store.dmsFolder, file, '..'), { recursive: true });
      await writeFile(join(store.dmsFolder, file), privateKey.export({ type: 'pkcs1', format: 'pem' }));
      const [line] = await ensureDkimKeys(store, settings, ['example.org']);
      assert.equal(line, `using the DKIM key mail for example.org from ${join(store.dmsFolder, file)}`);
      const [key] = await listDkimKeys(store, 'example.org');
      const expected = createPublicKey(privateKey).export({ type: 'spki', format: 'der' }).toString('base64');
      assert.deepEqual([key?.selector, key?.active, key?.publicKey], ['mail', true, expected]);
    });
  }

  it("takes docker-mailserver's rspamd ed25519 key (setup config dkim keytype ed25519) and prints its k=ed25519 record", async () => {
    // Made by the image's `rspamadm dkim_keygen -t ed25519 -s mail -d example.org`, which printed the p= below.
    const rspamdKey = 'HhEgW0nlH8iVPwqQiIDzmKEKUHTTMBgZyp9sXouiLutp1dp570YAAqYTGtN2gmkoPwtiu7omKk0Jbcy1tUaa9A==';
    const root = await mkdtemp(join(tmpdir(), 'idmail-dkim-ed25519-'));
    const store = { dir: join(root, 'dkim'), mountedDir: join(root, 'mounted'), dmsFolder: join(root, 'dms') };
    await mkdir(join(store.dmsFolder, 'rspamd', 'dkim'), { recursive: true });
    await writeFile(join(store.dmsFolder, 'rspamd/dkim/ed25519-mail-example.org.private.txt'), `${rspamdKey}\n`);
    await ensureDkimKeys(store, settings, ['example.org']);
    const [key] = await listDkimKeys(store, 'example.org');
    assert.equal(
      dkimRecord(key!),
      'mail._domainkey.example.org. IN TXT "v=DKIM1; k=ed25519; p=adXaee9GAAKmExrTdoJpKD8LYru6JipNCW3MtbVGmvQ="',
    );
    // rspamd reads the key file as it was written.
    assert.equal((await readFile(join(store.dir, 'example.org', 'mail.key'), 'utf8')).trim(), rspamdKey);
    const damaged = `${rspamdKey.slice(0, 60)}${rspamdKey.slice(60).replace(/[A-Z]/, 'a')}`;
    await writeFile(join(store.dmsFolder, 'rspamd/dkim/ed25519-mail-example.org.private.txt'), damaged);
    await assert.rejects(ensureDkimKeys(store, settings, ['example.org']), /is a damaged ed25519 key/);
    // An RSA key of the same selector beside it: which one signs would depend on the folder's order.
    await writeFile(join(store.dmsFolder, 'rspamd/dkim/ed25519-mail-example.org.private.txt'), `${rspamdKey}\n`);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    await writeFile(
      join(store.dmsFolder, 'rspamd/dkim/rsa-1024-mail-example.org.private.txt'),
      privateKey.export({ type: 'pkcs1', format: 'pem' }),
    );
    await assert.rejects(ensureDkimKeys(store, settings, ['example.org']), /several DKIM keys of selector mail/);
  });

  it('refuses a mounted public key, and keeps a key whose active mark was lost (a restore) instead of making a new one', async () => {
    const store = await newStore();
    await mkdir(join(store.mountedDir, 'example.org'), { recursive: true });
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    await writeFile(
      join(store.mountedDir, 'example.org', 'mail.key'),
      publicKey.export({ type: 'spki', format: 'pem' }),
    );
    await assert.rejects(ensureDkimKeys(store, settings, ['example.org']));
    const restored = await newStore();
    await ensureDkimKeys(restored, settings, ['example.net']);
    const before = await listDkimKeys(restored, 'example.net');
    await rm(join(restored.dir, 'example.net', 'active'));
    assert.deepEqual(await ensureDkimKeys(restored, settings, ['example.net']), []);
    assert.deepEqual(await listDkimKeys(restored, 'example.net'), before);
  });

  it('rotates to a new selector that signs, keeps the old one listed until retired, never retires the signing one', async () => {
    const store = await newStore();
    await ensureDkimKeys(store, settings, ['example.org']);
    const today = new Date('2026-12-02T10:00:00Z');
    assert.equal(await rotateDkimKey(store, settings, 'example.org', ['example.org'], today), 'mail-20261202');
    assert.equal(await rotateDkimKey(store, settings, 'example.org', ['example.org'], today), 'mail-20261202-2');
    const keys = await listDkimKeys(store, 'example.org');
    assert.deepEqual(
      keys.map((key) => [key.selector, key.active]),
      [
        ['mail', false],
        ['mail-20261202', false],
        ['mail-20261202-2', true],
      ],
    );
    assert.equal(await readFile(join(store.dir, 'selectors.map'), 'utf8'), 'example.org mail-20261202-2\n');
    await assert.rejects(retireDkimKey(store, 'example.org', 'mail-20261202-2'), /still signs/);
    await assert.rejects(retireDkimKey(store, 'example.org', '../../etc'), /has no DKIM key/);
    await retireDkimKey(store, 'example.org', 'mail');
    assert.deepEqual(
      (await listDkimKeys(store, 'example.org')).map((key) => key.selector),
      ['mail-20261202', 'mail-20261202-2'],
    );
    await assert.rejects(rotateDkimKey(store, settings, 'unknown.example', ['example.org']), /has no DKIM key here/);
  });

  it('prints the record as one zone-file line, the value in strings of at most 255 characters', async () => {
    const store = await newStore();
    await ensureDkimKeys(store, { selector: 'mail', keyBits: 2048 }, ['example.org']);
    const [key] = await listDkimKeys(store, 'example.org');
    const record = dkimRecord(key!);
    const match = /^mail\._domainkey\.example\.org\. IN TXT ((?:"[^"]{1,255}" ?)+)$/.exec(record);
    assert.ok(match, record);
    const strings = [...match[1]!.matchAll(/"([^"]*)"/g)].map((part) => part[1]!);
    assert.ok(strings.length > 1, 'a 2048-bit key needs more than one string');
    assert.equal(strings.join(''), `v=DKIM1; k=rsa; p=${key!.publicKey}`);
  });
});
