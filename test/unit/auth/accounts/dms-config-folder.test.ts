import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { AccountsFileStore } from '../../../../src/auth/accounts/accounts-file-store.ts';
import { readDmsConfigFolder, writeDmsConfigFolder } from '../../../../src/auth/accounts/dms-config-folder.ts';
import { FileDirectory } from '../../../../src/auth/accounts/file-directory.ts';
import { verifyPassword } from '../../../../src/auth/passwords/password-hash.ts';

const silent = { info() {}, error() {} } as unknown as FastifyBaseLogger;

// `openssl passwd -6 -salt abcdefgh secret` and `-5 -salt saltsalt secret`: the crypt(3) forms `doveadm pw` writes.
const SHA512 =
  '{SHA512-CRYPT}$6$abcdefgh$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4NiXZaNGStk8PSwGfQv72N2CKPPrVACtLtip/cZ/1GM/O6IND4WQhG.';
const SHA256 = '{SHA256-CRYPT}$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA';

function folderWith(files: Record<string, string>): string {
  const folder = mkdtempSync(join(tmpdir(), 'idmail-dms-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);
  return folder;
}

const rejection = (files: Record<string, string>) =>
  readDmsConfigFolder(folderWith(files)).then(
    () => 'read',
    (error: Error) => error.message,
  );

describe("docker-mailserver's config folder", () => {
  it('reads accounts, aliases and quotas as setup writes them, comments and blank lines skipped', async () => {
    const data = await readDmsConfigFolder(
      folderWith({
        'postfix-accounts.cf': `# made by setup\nalice@example.test|${SHA512}\n\n  Bob@Example.test|${SHA256}\n`,
        'postfix-virtual.cf': 'team@example.test alice@example.test,bob@example.test\n# none\n',
        'dovecot-quotas.cf': 'alice@example.test:5G\n',
      }),
    );
    assert.deepEqual([...data.accounts.keys()], ['alice@example.test', 'bob@example.test']);
    assert.equal(data.accounts.get('alice@example.test')?.quota, '5G');
    assert.equal(data.accounts.get('bob@example.test')?.quota, undefined);
    assert.deepEqual(data.aliases.get('team@example.test'), ['alice@example.test', 'bob@example.test']);
  });

  it('verifies SHA512-CRYPT, SHA256-CRYPT and BLF-CRYPT hashes, and refuses the wrong password', async () => {
    const bcrypt = (await import('bcryptjs')).default;
    const blowfish = `{BLF-CRYPT}${(await bcrypt.hash('secret', 5)).replace(/^\$2b\$/, '$2y$')}`;
    for (const stored of [SHA512, SHA256, blowfish]) {
      assert.equal(await verifyPassword(stored, 'secret'), true, stored);
      assert.equal(await verifyPassword(stored, 'Secret'), false, stored);
    }
    assert.equal(await verifyPassword('{PLAIN}secret', 'secret'), false);
    assert.equal(await verifyPassword('{SHA512-CRYPT}$6$short', 'secret'), false);
  });

  for (const [what, files, message] of [
    [
      'an unknown scheme',
      { 'postfix-accounts.cf': 'alice@example.test|{PLAIN}secret\n' },
      /postfix-accounts\.cf:1: the password is no \{SHA512-CRYPT\}/,
    ],
    [
      'user attributes',
      { 'postfix-accounts.cf': `alice@example.test|${SHA512}|userdb_quota_rule=*:storage=1G\n` },
      /postfix-accounts\.cf:1: user attributes after the hash are not read here/,
    ],
    [
      'an account twice',
      { 'postfix-accounts.cf': `a@example.test|${SHA512}\nA@example.test|${SHA512}\n` },
      /a@example\.test is listed twice/,
    ],
    [
      'a catch-all alias',
      { 'postfix-virtual.cf': '@example.test alice@example.test\n' },
      /postfix-virtual\.cf:1: a catch-all \(@example\.test\) is not served here/,
    ],
    [
      'a quota of no account',
      { 'dovecot-quotas.cf': 'nobody@example.test:1G\n' },
      /dovecot-quotas\.cf: nobody@example\.test has no account/,
    ],
    [
      'a quota that is no size',
      { 'postfix-accounts.cf': `a@example.test|${SHA512}\n`, 'dovecot-quotas.cf': 'a@example.test:lots\n' },
      /dovecot-quotas\.cf:1: /,
    ],
  ] as const) {
    it(`refuses ${what}, naming the file and line`, async () => {
      assert.match(await rejection(files), message);
    });
  }

  it('applies an edit of any of its files without a restart', async () => {
    const folder = folderWith({ 'postfix-accounts.cf': `alice@example.test|${SHA512}\n` });
    const { accountsSource } = await import('../../../../src/auth/accounts/accounts-source.ts');
    const settings = { paths: { dmsConfigFolder: folder }, accountsFile: join(folder, 'unused.yaml') };
    const source = await accountsSource(settings as never);
    assert.equal(source.dockerMailserver, true);
    const directory = new FileDirectory(new AccountsFileStore(source, silent), []);
    assert.equal((await directory.checkPassword('alice@example.test', 'secret')).outcome, 'match');
    writeFileSync(join(folder, 'postfix-virtual.cf'), 'team@example.test alice@example.test\n');
    utimesSync(join(folder, 'postfix-virtual.cf'), new Date(), new Date(Date.now() + 5_000));
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the store looks at most once a second
    assert.deepEqual(await directory.aliasTargets('team@example.test'), ['alice@example.test']);
  });

  it('writes accounts, aliases and quotas back in its format, which it reads as they were', async () => {
    const folder = folderWith({
      'postfix-accounts.cf': `alice@example.test|${SHA512}\nbob@example.test|${SHA256}\n`,
      'postfix-virtual.cf': 'team@example.test alice@example.test,bob@example.test\n',
      'dovecot-quotas.cf': 'bob@example.test:1G\n',
    });
    const data = await readDmsConfigFolder(folder);
    data.accounts.delete('alice@example.test');
    data.aliases.set('team@example.test', ['bob@example.test']);
    await writeDmsConfigFolder(folder, data);
    assert.equal(readFileSync(join(folder, 'postfix-accounts.cf'), 'utf8'), `bob@example.test|${SHA256}\n`);
    assert.equal(readFileSync(join(folder, 'postfix-virtual.cf'), 'utf8'), 'team@example.test bob@example.test\n');
    assert.equal(readFileSync(join(folder, 'dovecot-quotas.cf'), 'utf8'), 'bob@example.test:1G\n');
    assert.deepEqual(await readDmsConfigFolder(folder), data);
  });

  it('refuses to write what its format cannot say, before any file changes', async () => {
    const folder = folderWith({ 'postfix-accounts.cf': `alice@example.test|${SHA512}\n` });
    const data = await readDmsConfigFolder(folder);
    data.accounts.set('token@example.test', {
      address: 'token@example.test',
      passwordHash: undefined,
      disabled: false,
    });
    await assert.rejects(
      writeDmsConfigFolder(folder, data),
      /token@example\.test: docker-mailserver's postfix-accounts\.cf has no token-only accounts/,
    );
    const alice = data.accounts.get('alice@example.test');
    data.accounts.delete('token@example.test');
    if (alice !== undefined) alice.disabled = true;
    await assert.rejects(
      writeDmsConfigFolder(folder, data),
      /alice@example\.test: .* has no disabled accounts; allowed: delete it instead/,
    );
    assert.equal(readFileSync(join(folder, 'postfix-accounts.cf'), 'utf8'), `alice@example.test|${SHA512}\n`);
  });
});
