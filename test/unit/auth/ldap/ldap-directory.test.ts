import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import type { Entry, SearchOptions } from 'ldapts';
import { DirectoryUnavailable } from '../../../../src/auth/directory.ts';
import { type DirectoryConnections, LdapDirectory } from '../../../../src/auth/ldap/ldap-directory.ts';
import { loadSettings } from '../../../../src/config/settings.ts';

const silent = { info() {}, warn() {}, error() {} } as unknown as FastifyBaseLogger;

const DIRECTORY_ENV = {
  OVERRIDE_HOSTNAME: 'mail.example.org',
  MAIL_DOMAINS: 'example.org',
  ACCOUNT_PROVISIONER: 'ldap',
  LDAP_SCHEMA: 'postfix-book',
  LDAP_SERVER_HOST: 'ldap',
  LDAP_SEARCH_BASE: 'dc=example,dc=org',
};
const settings = loadSettings({ ...DIRECTORY_ENV, LDAP_CACHE_TTL: '60' }).ldap!;

const person = (uid: string, extra: Partial<Entry> = {}): Entry => ({
  dn: `uid=${uid},dc=example,dc=org`,
  mail: `${uid}@example.org`,
  mailEnabled: 'TRUE',
  ...extra,
});

/** A directory that answers filters it was told about (exact filter text) and base lookups by DN. */
class FakeConnections implements DirectoryConnections {
  readonly searches: string[] = [];
  readonly answers = new Map<string, Entry[]>();
  readonly entries = new Map<string, Entry>();
  passwords = new Map<string, string>();
  down = false;

  async search(base: string, filter: string, options: SearchOptions = {}): Promise<Entry[]> {
    if (this.down) throw new DirectoryUnavailable('LDAP: connect ECONNREFUSED');
    this.searches.push(filter);
    if (options.scope === 'base') {
      const entry = this.entries.get(base);
      if (entry === undefined) throw new Error('No Such Object');
      return [entry];
    }
    return this.answers.get(filter) ?? [];
  }

  async passwordMatches(dn: string, password: string): Promise<boolean> {
    if (this.down) throw new DirectoryUnavailable('LDAP: connect ECONNREFUSED');
    return this.passwords.get(dn) === password;
  }
}

function setup(cacheSeconds = settings.cacheSeconds): { fake: FakeConnections; directory: LdapDirectory } {
  const fake = new FakeConnections();
  return { fake, directory: new LdapDirectory({ ...settings, cacheSeconds }, fake, ['example.org'], silent) };
}

describe('LDAP directory', () => {
  it('checks every password by a bind (a changed password counts at once), searching the entry only when unknown or after a failed bind', async () => {
    const { fake, directory } = setup();
    const alice = person('alice');
    const filter = '(&(objectClass=PostfixBookMailAccount)(mailEnabled=TRUE)(mail=alice@example.org))';
    fake.answers.set(filter, [alice]);
    fake.passwords.set(alice.dn, 'old');
    assert.equal((await directory.checkPassword('Alice@example.org', 'old')).outcome, 'match');
    assert.equal((await directory.checkPassword('alice@example.org', 'old')).outcome, 'match');
    assert.equal(fake.searches.length, 1);
    fake.passwords.set(alice.dn, 'new');
    assert.equal((await directory.checkPassword('alice@example.org', 'old')).outcome, 'mismatch');
    assert.equal((await directory.checkPassword('alice@example.org', 'new')).outcome, 'match');
    assert.equal(fake.searches.length, 2);
    assert.equal((await directory.checkPassword('nobody@example.org', 'x')).outcome, 'unknown_user');
  });

  it('searches once for a wrong password when the entry was not remembered (LDAP_CACHE_TTL=0)', async () => {
    const { fake, directory } = setup(0);
    fake.answers.set('(&(objectClass=PostfixBookMailAccount)(mailEnabled=TRUE)(mail=alice@example.org))', [
      person('alice'),
    ]);
    fake.passwords.set('uid=alice,dc=example,dc=org', 'pw');
    assert.equal((await directory.checkPassword('alice@example.org', 'wrong')).outcome, 'mismatch');
    assert.equal(fake.searches.length, 1);
  });

  it('follows an entry that moved: a failed bind on the remembered DN searches again and binds as the new one', async () => {
    const { fake, directory } = setup();
    const filter = '(&(objectClass=PostfixBookMailAccount)(mailEnabled=TRUE)(mail=alice@example.org))';
    fake.answers.set(filter, [person('alice')]);
    fake.passwords.set('uid=alice,dc=example,dc=org', 'pw');
    assert.equal((await directory.checkPassword('alice@example.org', 'pw')).outcome, 'match');
    const moved = { ...person('alice'), dn: 'uid=alice,ou=staff,dc=example,dc=org' };
    fake.answers.set(filter, [moved]);
    fake.passwords = new Map([[moved.dn, 'pw']]);
    assert.equal((await directory.checkPassword('alice@example.org', 'pw')).outcome, 'match');
    fake.answers.set(filter, []);
    fake.passwords = new Map();
    assert.equal((await directory.checkPassword('alice@example.org', 'pw')).outcome, 'unknown_user');
  });

  it('caches account lookups for LDAP_CACHE_TTL and reads the enabled flag and quota', async () => {
    const { fake, directory } = setup();
    const filter = '(&(mail=carol@example.org)(mailEnabled=TRUE))';
    fake.answers.set(filter, [person('carol', { mailQuota: '1048576' })]);
    assert.deepEqual(await directory.accountByAddress('carol@example.org'), {
      address: 'carol@example.org',
      disabled: false,
      quota: '1048576B',
    });
    await directory.accountByAddress('carol@example.org');
    assert.equal(fake.searches.length, 1);
    fake.answers.set('(&(mail=dave@example.org)(mailEnabled=TRUE))', [
      person('dave', { mailEnabled: 'FALSE', mailQuota: '2 GB' }),
    ]);
    assert.deepEqual(await directory.accountByAddress('dave@example.org'), {
      address: 'dave@example.org',
      disabled: true,
      quota: '2G',
    });
  });

  it('treats a login that matches two entries as no account', async () => {
    const { fake, directory } = setup();
    fake.answers.set('(&(objectClass=PostfixBookMailAccount)(mailEnabled=TRUE)(mail=twin@example.org))', [
      person('twin'),
      person('twin', { dn: 'uid=twin2,dc=example,dc=org' }),
    ]);
    fake.passwords.set('uid=twin,dc=example,dc=org', 'pw');
    assert.equal((await directory.checkPassword('twin@example.org', 'pw')).outcome, 'unknown_user');
  });

  it('expands aliases and nested lists to enabled mailboxes, each once', async () => {
    const { fake, directory } = setup();
    const alice = person('alice');
    const bob = person('bob');
    const dave = person('dave', { mailEnabled: 'FALSE' });
    const inner = { dn: 'cn=inner,dc=example,dc=org', member: [bob.dn, dave.dn, 'uid=gone,dc=example,dc=org'] };
    const outer = { dn: 'cn=outer,dc=example,dc=org', member: [alice.dn, inner.dn] };
    for (const entry of [alice, bob, dave, inner]) fake.entries.set(entry.dn, entry);
    fake.answers.set('(&(mailAlias=team@example.org)(mailEnabled=TRUE))', [bob]);
    fake.answers.set('(&(mailGroupMember=team@example.org)(mailEnabled=TRUE))', [outer]);
    assert.deepEqual((await directory.aliasTargets('team@example.org'))?.sort(), [
      'alice@example.org',
      'bob@example.org',
    ]);
    assert.equal(await directory.aliasTargets('nobody@example.org'), undefined);
  });

  it('serves MAIL_DOMAINS without asking, other domains when the directory has an entry there', async () => {
    const { fake, directory } = setup();
    assert.equal(await directory.servesDomain('EXAMPLE.org'), true);
    assert.equal(fake.searches.length, 0);
    fake.answers.set(
      '(&(|(mail=*@other.example)(mailAlias=*@other.example)(mailGroupMember=*@other.example))(mailEnabled=TRUE))',
      [person('x', { mail: 'x@other.example' })],
    );
    assert.equal(await directory.servesDomain('other.example'), true);
    assert.equal(await directory.servesDomain('third.example'), false);
  });

  it('keeps serving a confirmed domain through an outage, and no other', async () => {
    const { fake, directory } = setup(0);
    fake.answers.set(
      '(&(|(mail=*@other.example)(mailAlias=*@other.example)(mailGroupMember=*@other.example))(mailEnabled=TRUE))',
      [person('x')],
    );
    assert.equal(await directory.servesDomain('other.example'), true);
    fake.down = true;
    assert.equal(await directory.servesDomain('other.example'), true);
    await assert.rejects(directory.servesDomain('third.example'), DirectoryUnavailable);
  });

  it('passes an outage on as DirectoryUnavailable, never as "no such user"', async () => {
    const { fake, directory } = setup();
    fake.down = true;
    await assert.rejects(directory.checkPassword('alice@example.org', 'pw'), DirectoryUnavailable);
    await assert.rejects(directory.accountByAddress('alice@example.org'), DirectoryUnavailable);
    await assert.rejects(directory.aliasTargets('team@example.org'), DirectoryUnavailable);
  });

  it("names a token's account exactly: by the address in the user filter, by the uid only as the whole uid, never by a login filter's looser match", async () => {
    // A login filter as docker-mailserver users write them: the local part of any address matches the uid.
    const loose = loadSettings({
      ...DIRECTORY_ENV,
      LDAP_ATTRIBUTE_UID: 'uid',
      LDAP_QUERY_FILTER_LOGIN: '(&(objectClass=PostfixBookMailAccount)(|(mail=%s)(uid=%u)))',
    }).ldap!;
    const fake = new FakeConnections();
    const directory = new LdapDirectory(loose, fake, ['example.org'], silent);
    const alice = person('alice', { uid: 'alice' });
    // What slapd would answer: the login filter with %u = alice matches alice, whatever the domain.
    fake.answers.set('(&(objectClass=PostfixBookMailAccount)(|(mail=alice@elsewhere.example)(uid=alice)))', [alice]);
    fake.answers.set('(&(objectClass=PostfixBookMailAccount)(|(mail=alice)(uid=alice)))', [alice]);
    fake.answers.set('(&(mail=alice@example.org)(mailEnabled=TRUE))', [alice]);
    assert.equal((await directory.accountBySignInName('alice@elsewhere.example'))?.address, 'alice@example.org');
    assert.equal(await directory.accountByTokenName('alice@elsewhere.example'), undefined);
    assert.equal((await directory.accountByTokenName('alice@example.org'))?.address, 'alice@example.org');
    assert.equal((await directory.accountByTokenName('alice'))?.address, 'alice@example.org');
    fake.answers.set('(&(objectClass=PostfixBookMailAccount)(|(mail=ali)(uid=ali)))', [alice]);
    assert.equal(await directory.accountByTokenName('ali'), undefined);
  });
});
