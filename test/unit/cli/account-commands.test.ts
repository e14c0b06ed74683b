import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, mock } from 'node:test';
import { Command } from 'commander';
import { readAccountsFile } from '../../../src/auth/accounts/accounts-file.ts';
import { accountsFileSource } from '../../../src/auth/accounts/accounts-source.ts';
import { accountCommands } from '../../../src/cli/account-commands.ts';

/** `idmail account …` against an accounts file of its own; what it printed, or the error it failed with. */
async function idmailAccount(file: string, ...args: string[]): Promise<string> {
  const program = new Command('idmail').exitOverride();
  accountCommands(
    program,
    async () => accountsFileSource(file),
    async () => assert.fail('the quota command opens no state'),
    () => assert.fail('the quota command queues no upgrade'),
  );
  const printed: string[] = [];
  const log = mock.method(console, 'log', (line: string) => void printed.push(line));
  // As root the command hands the file to the helper's group, which exists only in the image.
  const uid = mock.method(process as { getuid(): number }, 'getuid', () => 1000);
  try {
    await program.parseAsync(['account', ...args], { from: 'user' });
    return printed.join('\n');
  } finally {
    log.mock.restore();
    uid.mock.restore();
  }
}

function accountsFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'idmail-cli-')), 'accounts.yaml');
  writeFileSync(file, 'accounts:\n  alice@example.org: {}\n  bob@example.org: { disabled: true }\n');
  return file;
}

const quotaOf = async (file: string, address: string) => (await readAccountsFile(file)).accounts.get(address)?.quota;

describe('idmail account quota', () => {
  it("sets an account's limit in the accounts file, unlimited, or back to the default", async () => {
    const file = accountsFile();
    assert.match(await idmailAccount(file, 'quota', 'Alice@example.org', '5G'), /quota of alice@example\.org: 5G/);
    assert.equal(await quotaOf(file, 'alice@example.org'), '5G');
    assert.match(readFileSync(file, 'utf8'), /alice@example\.org:\n\s+quota: 5G\n/);
    await idmailAccount(file, 'quota', 'alice@example.org', 'unlimited');
    assert.equal(await quotaOf(file, 'alice@example.org'), 'unlimited');
    assert.match(await idmailAccount(file, 'quota', 'alice@example.org', 'default'), /the default/);
    assert.equal(await quotaOf(file, 'alice@example.org'), undefined);
    assert.doesNotMatch(readFileSync(file, 'utf8'), /quota/);
  });

  it('keeps what else the account has', async () => {
    const file = accountsFile();
    await idmailAccount(file, 'quota', 'bob@example.org', '1M');
    assert.deepEqual((await readAccountsFile(file)).accounts.get('bob@example.org'), {
      address: 'bob@example.org',
      passwordHash: undefined,
      disabled: true,
      quota: '1M',
    });
    assert.match(await idmailAccount(file, 'list'), /^bob@example\.org\ttoken-only,disabled,quota 1M$/m);
  });

  it('refuses a size Dovecot would not read, and an account that does not exist, leaving the file as it was', async () => {
    const file = accountsFile();
    const before = readFileSync(file, 'utf8');
    await assert.rejects(idmailAccount(file, 'quota', 'alice@example.org', '5GB'), /"5GB" is not a quota; allowed/);
    await assert.rejects(idmailAccount(file, 'quota', 'nobody@example.org', '5G'), /no account nobody@example\.org/);
    assert.equal(readFileSync(file, 'utf8'), before);
  });
});
