import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mailboxLimit } from '../../../src/config/quota-settings.ts';
import { parseQuotaSize } from '../../../src/config/quota-size.ts';
import { loadSettings } from '../../../src/config/settings.ts';
import { problemsOf } from '../../support/config.ts';

const base = { OVERRIDE_HOSTNAME: 'mail.example.org', MAIL_DOMAINS: 'example.org' };

describe('quota settings', () => {
  it('are on by default, as in docker-mailserver, with no limit for accounts that have none of their own', () => {
    assert.deepEqual(loadSettings(base).quotas, { defaultQuota: 'unlimited' });
    assert.deepEqual(loadSettings({ ...base, ACCOUNT_PROVISIONER: 'LDAP', ...ldap }).quotas, {
      defaultQuota: 'unlimited',
    });
  });

  it('ENABLE_QUOTAS=0 leaves no quota anywhere, with a warning when a default limit is set all the same', () => {
    assert.equal(loadSettings({ ...base, ENABLE_QUOTAS: '0' }).quotas, undefined);
    assert.doesNotMatch(
      loadSettings({ ...base, ENABLE_QUOTAS: '0' }).warnings.join('\n'),
      /POSTFIX_MAILBOX_SIZE_LIMIT/,
    );
    assert.match(
      loadSettings({ ...base, ENABLE_QUOTAS: '0', POSTFIX_MAILBOX_SIZE_LIMIT: '1000000' }).warnings.join('\n'),
      /POSTFIX_MAILBOX_SIZE_LIMIT is set, but ENABLE_QUOTAS=0/,
    );
  });

  it("reads POSTFIX_MAILBOX_SIZE_LIMIT in docker-mailserver's bytes (0 or empty: none), or with a unit", () => {
    const limit = (value: string) => loadSettings({ ...base, POSTFIX_MAILBOX_SIZE_LIMIT: value }).quotas?.defaultQuota;
    assert.equal(limit('10240000'), '10240000');
    assert.equal(limit('5G'), '5G');
    assert.equal(limit(' 500M '), '500M');
    assert.equal(limit('0'), 'unlimited');
    assert.equal(limit(''), 'unlimited');
    assert.equal(limit('unlimited'), 'unlimited');
  });

  it('refuses a limit Dovecot would not read, naming the variable and what is allowed', () => {
    for (const bad of ['5GB', '1.5G', '-1', '5 G', '10g', '5G\nquota_storage_size = 0', '99999999999999999'])
      assert.match(
        problemsOf({ ...base, POSTFIX_MAILBOX_SIZE_LIMIT: bad }).join('\n'),
        /POSTFIX_MAILBOX_SIZE_LIMIT: ".*" is not a quota; allowed: unlimited, or a size/,
      );
    assert.match(problemsOf({ ...base, ENABLE_QUOTAS: 'maybe' }).join('\n'), /ENABLE_QUOTAS: "maybe" is not a switch/);
  });

  it('gives an account its own limit, else the default, and none at all with quotas off', () => {
    assert.equal(mailboxLimit('2G', { defaultQuota: '1G' }), '2G');
    assert.equal(mailboxLimit('unlimited', { defaultQuota: '1G' }), 'unlimited');
    assert.equal(mailboxLimit(undefined, { defaultQuota: '1G' }), '1G');
    assert.equal(mailboxLimit(undefined, { defaultQuota: 'unlimited' }), 'unlimited');
    assert.equal(mailboxLimit('2G', undefined), undefined);
  });
});

describe('a quota size', () => {
  it("is Dovecot's: unlimited, or a whole number with k, M, G or T (none: bytes); zero is no limit", () => {
    for (const size of ['unlimited', '1', '1048576', '2048k', '500M', '5G', '2T', '1024T'])
      assert.equal(parseQuotaSize(size), size);
    assert.equal(parseQuotaSize('0'), 'unlimited');
    assert.equal(parseQuotaSize('0G'), 'unlimited');
    for (const bad of ['', 'lots', '5K', '5GB', '5 G', '1.5G', '1025T', '5G;', 'unlimited '.repeat(2)])
      assert.throws(() => parseQuotaSize(bad), /is not a quota/, bad);
  });
});

const ldap = { LDAP_SERVER_HOST: 'ldap://ldap', LDAP_SEARCH_BASE: 'dc=example,dc=org' };
