import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { LdapConnections } from '../../../../src/auth/ldap/ldap-connections.ts';
import { loadSettings } from '../../../../src/config/settings.ts';
import { FakeLdap } from '../../../support/fake-ldap.ts';

const silent = { info() {}, warn() {}, error() {} } as unknown as FastifyBaseLogger;
const SERVICE = { dn: 'cn=idmail,dc=example,dc=org', password: 'service-password' };
const ALICE = { dn: 'uid=alice,dc=example,dc=org', password: 'alice-password' };

describe('LDAP connections', () => {
  let fake: FakeLdap;
  let connections: LdapConnections;
  before(async () => {
    fake = await FakeLdap.start({ [SERVICE.dn]: SERVICE.password, [ALICE.dn]: ALICE.password });
    const settings = loadSettings({
      OVERRIDE_HOSTNAME: 'mail.example.org',
      MAIL_DOMAINS: 'example.org',
      ACCOUNT_PROVISIONER: 'ldap',
      LDAP_SCHEMA: 'postfix-book',
      LDAP_SERVER_HOST: fake.url,
      LDAP_SEARCH_BASE: 'dc=example,dc=org',
      LDAP_BIND_DN: SERVICE.dn,
      LDAP_BIND_PW: SERVICE.password,
      LDAP_TIMEOUT: '1',
      LDAP_POOL_SIZE: '2',
    }).ldap!;
    connections = new LdapConnections(settings, silent);
  });
  after(async () => {
    await connections.close();
    await fake.stop();
  });

  it('checks a password by a bind, on pooled connections', async () => {
    const answers = await Promise.all([
      connections.passwordMatches(ALICE.dn, ALICE.password),
      connections.passwordMatches(ALICE.dn, 'wrong'),
    ]);
    assert.deepEqual(answers, [true, false]);
    assert.equal(await connections.passwordMatches(ALICE.dn, ALICE.password), true);
    assert.equal(fake.connections, 2);
  });

  it('replaces pooled connections that no longer get answers (a restarted directory) without failing the sign-in', async () => {
    await Promise.all([
      connections.passwordMatches(ALICE.dn, ALICE.password),
      connections.passwordMatches(ALICE.dn, ALICE.password),
    ]);
    fake.vanish();
    const before = fake.connections;
    assert.equal(await connections.passwordMatches(ALICE.dn, ALICE.password), true);
    assert.equal(await connections.passwordMatches(ALICE.dn, 'wrong'), false);
    assert.equal(fake.connections, before + 1, 'one new connection; the other stale one was dropped, not tried');
  });
});
