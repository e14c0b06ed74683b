import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, mock } from 'node:test';
import { Command } from 'commander';
import { AccountsFileStore } from '../../../../src/auth/accounts/accounts-file-store.ts';
import { dmsFolderSource } from '../../../../src/auth/accounts/accounts-source.ts';
import { readDmsConfigFolder } from '../../../../src/auth/accounts/dms-config-folder.ts';
import { FileDirectory } from '../../../../src/auth/accounts/file-directory.ts';
import { HashUpgradeQueue } from '../../../../src/auth/accounts/hash-upgrade-queue.ts';
import { hashPassword, isSupportedHash, verifyPassword } from '../../../../src/auth/passwords/password-hash.ts';
import { accountCommands } from '../../../../src/cli/account-commands.ts';

// `openssl passwd -6 -salt abcdefgh secret`: docker-mailserver's SHA512-CRYPT, as `doveadm pw` writes it.
const SHA512 =
  '{SHA512-CRYPT}$6$abcdefgh$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4NiXZaNGStk8PSwGfQv72N2CKPPrVACtLtip/cZ/1GM/O6IND4WQhG.';
const silent = { info() {}, warn() {}, error() {} };

/** docker-mailserver's config folder with these accounts (the accounts file's own format holds Argon2id only). */
function scratch(accounts: Record<string, string>) {
  const folder = mkdtempSync(join(tmpdir(), 'idmail-upgrade-'));
  writeAccounts(folder, accounts);
  return { folder, queue: join(folder, 'hash-upgrades') };
}

const writeAccounts = (folder: string, accounts: Record<string, string>) =>
  writeFileSync(
    join(folder, 'postfix-accounts.cf'),
    Object.entries(accounts)
      .map(([address, hash]) => `${address}|${hash}\n`)
      .join(''),
  );

/** `idmail account apply-hash-upgrades` on that file and queue; what it printed. */
async function applyUpgrades(folder: string, queue: string): Promise<string[]> {
  const program = new Command('idmail').exitOverride();
  accountCommands(
    program,
    async () => dmsFolderSource(folder),
    async () => assert.fail('opens no state'),
    () => queue,
  );
  const printed: string[] = [];
  const log = mock.method(console, 'log', (line: string) => void printed.push(line));
  const uid = mock.method(process as { getuid(): number }, 'getuid', () => 1000);
  try {
    await program.parseAsync(['account', 'apply-hash-upgrades'], { from: 'user' });
    return printed;
  } finally {
    log.mock.restore();
    uid.mock.restore();
  }
}

const hashOf = async (folder: string, address: string) =>
  (await readDmsConfigFolder(folder)).accounts.get(address)?.passwordHash ?? '';

/** A password sign-in; with `awaitQueued`, until the upgrade it queues is there (Argon2id takes a moment). */
async function signIn(folder: string, queue: string, address: string, password: string, awaitQueued = true) {
  const store = new AccountsFileStore(dmsFolderSource(folder), silent as never);
  const directory = new FileDirectory(store, [], { queue: new HashUpgradeQueue(queue), log: silent as never });
  const check = await directory.checkPassword(address, password);
  const queued = () => readdirSafe(queue).some((name) => name.endsWith('.json'));
  for (let tries = 0; awaitQueued && tries < 250 && !queued(); tries++)
    await new Promise((resolve) => setTimeout(resolve, 20));
  return check.outcome;
}

const readdirSafe = (folder: string) => {
  try {
    return readdirSync(folder);
  } catch {
    return [];
  }
};

describe('password hashes upgraded to Argon2id at sign-in (PASSWORD_HASH_UPGRADE)', () => {
  it("puts an Argon2id hash of the password that signed in in place of docker-mailserver's SHA512-CRYPT", async () => {
    const { folder, queue } = scratch({ 'alice@example.org': SHA512 });
    assert.equal(await signIn(folder, queue, 'alice@example.org', 'secret'), 'match');
    assert.deepEqual(await applyUpgrades(folder, queue), [
      'idmail: password hash of alice@example.org upgraded to Argon2id',
    ]);
    const upgraded = await hashOf(folder, 'alice@example.org');
    assert.ok(isSupportedHash(upgraded), upgraded);
    assert.equal(await verifyPassword(upgraded, 'secret'), true);
    assert.deepEqual(readdirSafe(queue), [], 'the queue is emptied');
  });

  it('queues nothing for a wrong password or a hash that is Argon2id already', async () => {
    const argon = await hashPassword('other');
    const { folder, queue } = scratch({ 'alice@example.org': SHA512, 'bob@example.org': argon });
    assert.equal(await signIn(folder, queue, 'alice@example.org', 'wrong', false), 'mismatch');
    assert.equal(await signIn(folder, queue, 'bob@example.org', 'other', false), 'match');
    // A queued upgrade would have been written by now, had any been asked for.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(readdirSafe(queue), []);
    assert.deepEqual(await applyUpgrades(folder, queue), []);
    assert.equal(await hashOf(folder, 'alice@example.org'), SHA512);
  });

  it('drops an upgrade whose account changed its password meanwhile, a malformed entry and a link, writing nothing', async () => {
    const { folder, queue } = scratch({ 'alice@example.org': SHA512 });
    assert.equal(await signIn(folder, queue, 'alice@example.org', 'secret'), 'match');
    const changed = await hashPassword('changed by the admin');
    writeAccounts(folder, { 'alice@example.org': changed });
    mkdirSync(queue, { recursive: true });
    writeFileSync(
      join(queue, 'bad.json'),
      JSON.stringify({ address: 'alice@example.org', oldHash: changed, newHash: 'x' }),
    );
    symlinkSync(join(folder, 'postfix-accounts.cf'), join(queue, 'link.json'));
    const printed = await applyUpgrades(folder, queue);
    assert.deepEqual(printed, [
      "idmail: 3 queued hash upgrade(s) dropped: the account's hash changed, or the entry was malformed",
    ]);
    assert.equal(await hashOf(folder, 'alice@example.org'), changed);
    assert.deepEqual(readdirSafe(queue), []);
  });
});
