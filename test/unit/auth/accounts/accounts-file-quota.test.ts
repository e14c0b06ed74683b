import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  AccountsFileError,
  parseAccounts,
  readAccountsFile,
  writeAccountsFile,
} from '../../../../src/auth/accounts/accounts-file.ts';
import { AccountsFileStore } from '../../../../src/auth/accounts/accounts-file-store.ts';
import { accountsFileSource } from '../../../../src/auth/accounts/accounts-source.ts';
import { FileDirectory } from '../../../../src/auth/accounts/file-directory.ts';
import type { Logger } from '../../../../src/vocabulary/logger.ts';

const silent = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent } as unknown as Logger;

describe('quotas in the accounts file', () => {
  it("reads an account's own limit as Dovecot takes it, bytes written as a YAML number too", () => {
    const data = parseAccounts(
      [
        'accounts:',
        '  alice@example.org: { quota: 5G }',
        '  bob@example.org: { quota: unlimited }',
        '  carol@example.org: { quota: 1048576 }',
        '  dave@example.org: { quota: 0 }',
        '  erin@example.org: {}',
        '',
      ].join('\n'),
      'f',
    );
    const quotas = Object.fromEntries([...data.accounts.values()].map(({ address, quota }) => [address, quota]));
    assert.deepEqual(quotas, {
      'alice@example.org': '5G',
      'bob@example.org': 'unlimited',
      'carol@example.org': '1048576',
      'dave@example.org': 'unlimited',
      'erin@example.org': undefined,
    });
  });

  it('refuses a quota Dovecot would not read, naming the account, instead of writing it into a setting', () => {
    for (const bad of ['5GB', 'lots', '"5G\\nquota_storage_size = 0"', '[5G]', '{ size: 5G }', 'true'])
      assert.throws(
        () => parseAccounts(`accounts:\n  alice@example.org: { quota: ${bad} }\n`, 'f'),
        (error: Error) =>
          error instanceof AccountsFileError &&
          /^f: account alice@example.org: quota: .* is not a quota; allowed: unlimited, or a size/.test(error.message),
        bad,
      );
  });

  it('writes the limit back, and nothing for an account without one', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'idmail-quota-')), 'accounts.yaml');
    const data = parseAccounts('accounts:\n  alice@example.org: { quota: 5G }\n  bob@example.org: {}\n', 'f');
    await writeAccountsFile(path, data);
    assert.match(readFileSync(path, 'utf8'), /alice@example\.org:\n\s+quota: 5G\n/);
    assert.match(readFileSync(path, 'utf8'), /bob@example\.org: \{\}\n/);
    assert.deepEqual((await readAccountsFile(path)).accounts.get('alice@example.org')?.quota, '5G');
  });

  it('hands the limit on with the account, as LDAP and provisioned accounts do, and nothing when it has none', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'idmail-quota-')), 'accounts.yaml');
    writeFileSync(path, 'accounts:\n  alice@example.org: { quota: 500M }\n  bob@example.org: {}\n');
    const directory = new FileDirectory(new AccountsFileStore(accountsFileSource(path), silent), []);
    assert.deepEqual(await directory.accountByAddress('alice@example.org'), {
      address: 'alice@example.org',
      disabled: false,
      quota: '500M',
    });
    assert.deepEqual(await directory.accountByAddress('bob@example.org'), {
      address: 'bob@example.org',
      disabled: false,
    });
  });
});
