import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccountsFileError, parseAccounts } from '../../../../src/auth/accounts/accounts-file.ts';

describe('the accounts file', () => {
  it('reads accounts and aliases, addresses in lower case', () => {
    const data = parseAccounts(
      'accounts:\n  Alice@Example.org: {}\naliases:\n  team@example.org: [alice@example.org]\n',
      'f',
    );
    assert.deepEqual([...data.accounts.keys()], ['alice@example.org']);
    assert.deepEqual(data.aliases.get('team@example.org'), ['alice@example.org']);
  });

  it('refuses an address listed twice, also in another case, instead of keeping one silently', () => {
    assert.throws(
      () => parseAccounts('accounts:\n  alice@example.org: {}\n  alice@example.org: { disabled: true }\n', 'f'),
      /f: accounts: alice@example.org is listed twice/,
    );
    assert.throws(
      () => parseAccounts('aliases:\n  team@example.org: [a@example.org]\n  TEAM@example.org: [b@example.org]\n', 'f'),
      /aliases: team@example.org is listed twice/,
    );
  });

  it('reports YAML that does not parse', () => {
    assert.throws(
      () => parseAccounts('accounts: [unclosed\n', 'f'),
      (error: Error) => error instanceof AccountsFileError && /f: not valid YAML/.test(error.message),
    );
  });

  it('reads 100 000 accounts', () => {
    const lines = Array.from({ length: 100_000 }, (_, index) => `  user${index}@example.org: {}`);
    assert.equal(parseAccounts(`accounts:\n${lines.join('\n')}\n`, 'f').accounts.size, 100_000);
  });

  it('lowercases ASCII letters only: an address that Unicode case mapping would turn into another is refused, not folded', () => {
    assert.throws(() => parseAccounts('accounts:\n  "\u212Aim@example.org": {}\n', 'f'), /is not a mail address/);
    assert.throws(() => parseAccounts('accounts:\n  " kim@example.org": {}\n', 'f'), /is not a mail address/);
    assert.deepEqual(
      [...parseAccounts('accounts:\n  KIM@Example.ORG: {}\n', 'f').accounts.keys()],
      ['kim@example.org'],
    );
  });
});
