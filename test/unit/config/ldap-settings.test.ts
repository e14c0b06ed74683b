import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadSettings } from '../../../src/config/settings.ts';
import { fillFilter } from '../../../src/vocabulary/ldap-filter.ts';
import { problemsOf } from '../../support/config.ts';

const base = { OVERRIDE_HOSTNAME: 'mail.example.org', MAIL_DOMAINS: 'example.org' };
const ldap = {
  ...base,
  ACCOUNT_PROVISIONER: 'LDAP',
  LDAP_SERVER_HOST: 'ldap.example.org',
  LDAP_SEARCH_BASE: 'ou=people,dc=example,dc=org',
};

describe('LDAP settings', () => {
  it('is off unless ACCOUNT_PROVISIONER=LDAP', () => {
    assert.equal(loadSettings(base).ldap, undefined);
  });

  it('reads a docker-mailserver environment block, quotes and all', () => {
    const settings = loadSettings({
      ...base,
      ACCOUNT_PROVISIONER: 'LDAP',
      LDAP_SERVER_HOST: 'ldap',
      LDAP_SEARCH_BASE: 'ou=people,dc=example,dc=org',
      LDAP_BIND_DN: 'cn=admin,dc=example,dc=org',
      LDAP_BIND_PW: 'admin',
      LDAP_START_TLS: 'yes',
      LDAP_QUERY_FILTER_USER: '"(&(mail=%s)(mailEnabled=TRUE))"',
      LDAP_QUERY_FILTER_GROUP: '"(&(mailGroupMember=%s)(mailEnabled=TRUE))"',
      LDAP_QUERY_FILTER_ALIAS:
        '"(|(&(mailAlias=%s)(objectClass=PostfixBookMailForward))(&(mailAlias=%s)(objectClass=PostfixBookMailAccount)(mailEnabled=TRUE)))"',
      LDAP_QUERY_FILTER_DOMAIN:
        '"(|(&(mail=*@%s)(objectClass=PostfixBookMailAccount)(mailEnabled=TRUE))(&(mailAlias=*@%s)(objectClass=PostfixBookMailForward)))"',
      LDAP_QUERY_FILTER_SENDERS: "'(|(&(mail=%s)(mailEnabled=TRUE))(&(mailAlias=%s)(mailEnabled=TRUE)))'",
    });
    const config = settings.ldap;
    assert.ok(config);
    assert.deepEqual(config.servers, ['ldap://ldap']);
    assert.deepEqual(config.bind, { dn: 'cn=admin,dc=example,dc=org', password: 'admin' });
    assert.equal(config.startTls, true);
    assert.equal(config.filters.user, '(&(mail=%s)(mailEnabled=TRUE))');
    // The user filter is also the login filter: it carries the "enabled" condition.
    assert.equal(config.filters.login, '(&(mail=%s)(mailEnabled=TRUE))');
    assert.equal(config.filters.group, '(&(mailGroupMember=%s)(mailEnabled=TRUE))');
    assert.equal(config.filters.senders, '(|(&(mail=%s)(mailEnabled=TRUE))(&(mailAlias=%s)(mailEnabled=TRUE)))');
    assert.equal(config.timeoutMs, 5000);
    assert.equal(config.poolSize, 4);
    assert.equal(config.cacheSeconds, 60);
  });

  it("takes the filters of docker-mailserver's own LDAP test and docs, spaces between parts and (|) included", () => {
    const settings = loadSettings({
      ...ldap,
      LDAP_QUERY_FILTER_USER: '(&(mail=%s) (&(objectClass=PostfixBookMailAccount)(mailEnabled=TRUE)) )',
      LDAP_QUERY_FILTER_ALIAS: '(|)',
      LDAP_QUERY_FILTER_GROUP: '(|)',
    });
    assert.equal(settings.ldap?.filters.user, '(&(mail=%s)(&(objectClass=PostfixBookMailAccount)(mailEnabled=TRUE)))');
    assert.equal(settings.ldap?.filters.alias, '(!(objectClass=*))');
    assert.equal(settings.ldap?.filters.group, '(!(objectClass=*))');
  });

  it('takes a server list for fail-over, with or without scheme', () => {
    const settings = loadSettings({
      ...ldap,
      LDAP_SERVER_HOST: 'ldaps://ldap1.example.org:636, ldap2.example.org  ldap://ldap3:3389',
    });
    assert.deepEqual(settings.ldap?.servers, [
      'ldaps://ldap1.example.org:636',
      'ldap://ldap2.example.org',
      'ldap://ldap3:3389',
    ]);
  });

  it('has the inetOrgPerson preset by default and adds uid login when asked', () => {
    const plain = loadSettings(ldap).ldap;
    assert.equal(plain?.schema, 'inetorgperson');
    assert.equal(plain?.filters.login, '(&(objectClass=inetOrgPerson)(mail=%s))');
    const withUid = loadSettings({ ...ldap, LDAP_ATTRIBUTE_UID: 'uid' }).ldap;
    assert.equal(withUid?.filters.login, '(&(objectClass=inetOrgPerson)(|(mail=%s)(uid=%s)))');
    assert.equal(withUid?.filters.user, '(&(objectClass=inetOrgPerson)(mail=%s))');
  });

  it('renders the Active Directory preset', () => {
    const filters = loadSettings({ ...ldap, LDAP_SCHEMA: 'active-directory', LDAP_ATTRIBUTE_UID: 'sAMAccountName' })
      .ldap?.filters;
    assert.ok(filters);
    const person = '(objectCategory=person)(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2))';
    assert.equal(fillFilter(filters.user, 'alice@example.org'), `(&${person}(mail=alice@example.org))`);
    assert.equal(fillFilter(filters.login, 'alice'), `(&${person}(|(mail=alice)(sAMAccountName=alice)))`);
    assert.equal(fillFilter(filters.alias, 'al@example.org'), `(&${person}(proxyAddresses=smtp:al@example.org))`);
    assert.equal(
      fillFilter(filters.group, 'team@example.org'),
      '(&(objectClass=group)(|(mail=team@example.org)(proxyAddresses=smtp:team@example.org)))',
    );
    assert.equal(
      fillFilter(filters.domain, 'example.org'),
      `(|(&${person}(|(mail=*@example.org)(proxyAddresses=smtp:*@example.org)))(&(objectClass=group)(mail=*@example.org)))`,
    );
    assert.equal(
      fillFilter(filters.senders, 'al@example.org'),
      `(&${person}(|(mail=al@example.org)(proxyAddresses=smtp:al@example.org)))`,
    );
  });

  it('renders the postfix-book preset like docker-mailserver, and switches attributes off with none', () => {
    const book = loadSettings({ ...ldap, LDAP_SCHEMA: 'postfix-book' }).ldap;
    assert.equal(book?.filters.user, '(&(mail=%s)(mailEnabled=TRUE))');
    assert.equal(book?.filters.group, '(&(mailGroupMember=%s)(mailEnabled=TRUE))');
    assert.equal(book?.attributes.quota, 'mailQuota');
    const bare = loadSettings({
      ...ldap,
      LDAP_SCHEMA: 'postfix-book',
      LDAP_ATTRIBUTE_ENABLED: 'none',
      LDAP_ATTRIBUTE_ALIASES: 'none',
    }).ldap;
    assert.equal(bare?.attributes.enabled, undefined);
    assert.equal(bare?.filters.user, '(&(mail=%s))');
    assert.equal(bare?.filters.alias, '(&(!(objectClass=*)))');
  });

  it('names every missing or conflicting variable', () => {
    const problems = problemsOf({ ...base, ACCOUNT_PROVISIONER: 'ldap', LDAP_BIND_DN: 'cn=svc,dc=example,dc=org' });
    assert.ok(problems.some((problem) => problem.startsWith('LDAP_SERVER_HOST: is required')));
    assert.ok(problems.some((problem) => problem.startsWith('LDAP_SEARCH_BASE: is required')));
    assert.ok(problems.some((problem) => problem.startsWith('LDAP_BIND_DN, LDAP_BIND_PW: only one is set')));
    assert.match(
      problemsOf({ ...base, LDAP_SERVER_HOST: 'ldap' }).join('\n'),
      /LDAP_SERVER_HOST: is set but ACCOUNT_PROVISIONER is not LDAP/,
    );
    assert.match(
      problemsOf({ ...ldap, LDAP_SERVER_HOST: 'ldaps://ldap', LDAP_START_TLS: '1' }).join('\n'),
      /LDAP_START_TLS: is on with an ldaps:\/\/ server/,
    );
    assert.match(problemsOf({ ...ldap, LDAP_POOL_SIZE: '0' }).join('\n'), /LDAP_POOL_SIZE: "0" is out of range/);
    // The address and a group's members cannot be done without: "none" is refused, never quietly the preset's.
    for (const name of ['LDAP_ATTRIBUTE_MAIL', 'LDAP_ATTRIBUTE_MEMBER']) {
      assert.match(problemsOf({ ...ldap, [name]: 'none' }).join('\n'), new RegExp(`${name}: cannot be switched off`));
    }
    assert.match(
      problemsOf({ ...ldap, ACCOUNT_PROVISIONER: 'sql' }).join('\n'),
      /ACCOUNT_PROVISIONER.*allowed: file, ldap/,
    );
    assert.match(
      problemsOf({ ...ldap, LDAP_QUERY_FILTER_USER: '(mail=%s)', LDAP_ATTRIBUTE_UID: 'uid' }).join('\n'),
      /LDAP_ATTRIBUTE_UID: cannot be added/,
    );
  });

  it("honours docker-mailserver's Dovecot LDAP filters: the pass filter finds the login, the user filter narrows both", () => {
    const settings = loadSettings({
      ...ldap,
      LDAP_SCHEMA: 'postfix-book',
      DOVECOT_PASS_FILTER: '(&(objectClass=PostfixBookMailAccount)(userID=%{user | username}))',
      DOVECOT_USER_FILTER: '(&(objectClass=PostfixBookMailAccount)(memberOf=cn=mail,dc=example,dc=org))',
    });
    const filters = settings.ldap?.filters;
    assert.equal(
      filters?.login,
      '(&(&(objectClass=PostfixBookMailAccount)(userID=%u))(&(objectClass=PostfixBookMailAccount)(memberOf=cn=mail,dc=example,dc=org)))',
    );
    assert.equal(
      filters?.user,
      '(&(&(mail=%s)(mailEnabled=TRUE))(&(objectClass=PostfixBookMailAccount)(memberOf=cn=mail,dc=example,dc=org)))',
    );
    // Unset, the pass filter is the user filter, as in docker-mailserver; ours, when given, must match too.
    const userOnly = loadSettings({
      ...ldap,
      LDAP_QUERY_FILTER_LOGIN: '(mail=%s)',
      DOVECOT_USER_FILTER: '(&(objectClass=qmailUser)(uid=%n)(accountStatus=active))',
    }).ldap?.filters;
    assert.equal(userOnly?.login, '(&(mail=%s)(&(objectClass=qmailUser)(uid=%u)(accountStatus=active)))');
  });

  it("stops on docker-mailserver's Dovecot LDAP attribute mappings and foreign variables rather than ignore them", () => {
    const problems = problemsOf({
      ...ldap,
      DOVECOT_PASS_ATTRS: 'uid=user,userPassword=password',
      DOVECOT_USER_FILTER: '(&(uid=%n)(host=%{remote_ip}))',
    });
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems.join('\n'), /^DOVECOT_USER_FILTER: Dovecot variable "%\{remote_ip\}"/m);
    assert.match(problems.join('\n'), /^DOVECOT_PASS_ATTRS: docker-mailserver's setting, not honoured here: /m);
  });

  it("accepts saslauthd's LDAP filter with a notice: docker-mailserver reads it only with saslauthd, which is off", () => {
    const settings = loadSettings({ ...ldap, SASLAUTHD_LDAP_FILTER: '(&(sAMAccountName=%U)(objectClass=person))' });
    assert.ok(
      settings.notices.some((notice) =>
        /^SASLAUTHD_LDAP_FILTER: docker-mailserver's setting, accepted: read only with ENABLE_SASLAUTHD=1/.test(notice),
      ),
      settings.notices.join('\n'),
    );
  });

  it('refuses filters, hosts and attribute names that could not work or would inject', () => {
    assert.match(
      problemsOf({ ...ldap, LDAP_QUERY_FILTER_USER: '(mail=%s)\n(uid=*)' }).join('\n'),
      /LDAP_QUERY_FILTER_USER.*control character/,
    );
    assert.match(
      problemsOf({ ...ldap, LDAP_QUERY_FILTER_ALIAS: '(&(mailAlias=%s)' }).join('\n'),
      /LDAP_QUERY_FILTER_ALIAS.*balanced parentheses/,
    );
    assert.match(
      problemsOf({ ...ldap, LDAP_SERVER_HOST: 'http://ldap' }).join('\n'),
      /LDAP_SERVER_HOST.*allowed: ldap:\/\/ or ldaps:\/\//,
    );
    assert.match(problemsOf({ ...ldap, LDAP_SEARCH_BASE: 'people' }).join('\n'), /LDAP_SEARCH_BASE.*is not a DN/);
    assert.match(
      problemsOf({ ...ldap, LDAP_ATTRIBUTE_MAIL: 'mail)(uid=*' }).join('\n'),
      /LDAP_ATTRIBUTE_MAIL.*is not an attribute name/,
    );
  });
});
