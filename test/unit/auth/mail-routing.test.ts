import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import type { Entry } from 'ldapts';
import { answerSocketmap, type MapRouting, postfixMaps } from '../../../src/adapters/postfix-socketmap.ts';
import { AccountsFileStore } from '../../../src/auth/accounts/accounts-file-store.ts';
import { accountsFileSource } from '../../../src/auth/accounts/accounts-source.ts';
import { FileDirectory } from '../../../src/auth/accounts/file-directory.ts';
import type { Directory } from '../../../src/auth/directory.ts';
import { type DirectoryConnections, LdapDirectory } from '../../../src/auth/ldap/ldap-directory.ts';
import { ProvisionedAccounts } from '../../../src/auth/provisioning/provisioned-accounts.ts';
import { ProvisionedDirectory } from '../../../src/auth/provisioning/provisioned-directory.ts';
import { loadSettings } from '../../../src/config/settings.ts';
import { openStateDatabase } from '../../../src/state/state-database.ts';
import { fillFilter } from '../../../src/vocabulary/ldap-filter.ts';

const silent = { info() {}, warn() {}, error() {} } as unknown as FastifyBaseLogger;
const POSTMASTER = 'admin@example.org';
const ROUTING: MapRouting = { postmaster: POSTMASTER, senderRelays: undefined };

/** What Postfix's virtual_alias_maps lookup gets back for this address. */
const aliasAnswer = (directory: Directory, address: string, routing = ROUTING) =>
  answerSocketmap(postfixMaps(directory, routing), `alias ${address}`);

function fileDirectory(yaml: string): FileDirectory {
  const file = join(mkdtempSync(join(tmpdir(), 'idmail-routing-')), 'accounts.yaml');
  writeFileSync(file, yaml);
  return new FileDirectory(new AccountsFileStore(accountsFileSource(file), silent), ['example.org', 'example.net']);
}

const FILE = `accounts:
  admin@example.org: {}
  abuse@example.net: {}
aliases:
  postmaster@example.net: [admin@example.org]
`;

/** An LDAP directory (docker-mailserver's schema) whose only entries are these mailboxes. */
function ldapDirectory(mailboxes: string[]): LdapDirectory {
  const settings = loadSettings({
    OVERRIDE_HOSTNAME: 'mail.example.org',
    MAIL_DOMAINS: 'example.org,example.net',
    ACCOUNT_PROVISIONER: 'ldap',
    LDAP_SCHEMA: 'postfix-book',
    LDAP_SERVER_HOST: 'ldap',
    LDAP_SEARCH_BASE: 'dc=example,dc=org',
  }).ldap;
  assert.ok(settings);
  const entries = new Map<string, Entry[]>(
    mailboxes.map((mail) => [
      fillFilter(settings.filters.user, mail),
      [{ dn: `uid=${mail},dc=example,dc=org`, mail, mailEnabled: 'TRUE' }],
    ]),
  );
  const connections: DirectoryConnections = {
    search: async (_base, filter) => entries.get(filter) ?? [],
    passwordMatches: async () => false,
  };
  return new LdapDirectory(settings, connections, ['example.org', 'example.net'], silent);
}

function provisionedDirectory(provisionedAddress: string): ProvisionedDirectory {
  const accounts = new ProvisionedAccounts(openStateDatabase(':memory:'));
  accounts.createOnce(provisionedAddress, { source: 'scim', template: 'default', quota: undefined });
  return new ProvisionedDirectory(fileDirectory('accounts:\n  admin@example.org: {}\n'), accounts);
}

describe('postmaster@ and abuse@ of every served domain reach the postmaster', () => {
  it('with the accounts file: unless an account or an alias already has the address', async () => {
    const directory = fileDirectory(FILE);
    assert.equal(await aliasAnswer(directory, 'postmaster@example.org'), `OK ${POSTMASTER}`);
    assert.equal(await aliasAnswer(directory, 'Abuse@Example.org'), `OK ${POSTMASTER}`);
    // abuse@example.net is an account, postmaster@example.net an alias: both stay theirs.
    assert.equal(await aliasAnswer(directory, 'abuse@example.net'), 'NOTFOUND ');
    assert.equal(await aliasAnswer(directory, 'postmaster@example.net'), `OK ${POSTMASTER}`);
    assert.equal(
      await aliasAnswer(
        fileDirectory(FILE.replace('[admin@example.org]', '[x@example.org]')),
        'postmaster@example.net',
      ),
      'OK x@example.org',
    );
    // Only those two names, only served domains, only whole addresses.
    assert.equal(await aliasAnswer(directory, 'hostmaster@example.org'), 'NOTFOUND ');
    assert.equal(await aliasAnswer(directory, 'postmaster@elsewhere.example'), 'NOTFOUND ');
    assert.equal(await aliasAnswer(directory, '@example.org'), 'NOTFOUND ');
    assert.equal(await aliasAnswer(directory, 'postmaster'), 'NOTFOUND ');
  });

  it('never as an alias of itself, nor to a postmaster here without a mailbox: those stay unknown (refused at RCPT)', async () => {
    const itself: MapRouting = { postmaster: 'postmaster@example.org', senderRelays: undefined };
    const without = fileDirectory('accounts:\n  alice@example.org: {}\n');
    for (const address of [
      'postmaster@example.org',
      'POSTMASTER@example.org',
      'abuse@example.org',
      'abuse@example.net',
    ])
      assert.equal(await aliasAnswer(without, address, itself), 'NOTFOUND ', address);
    const withMailbox = fileDirectory('accounts:\n  postmaster@example.org: {}\n');
    assert.equal(await aliasAnswer(withMailbox, 'postmaster@example.org', itself), 'NOTFOUND ');
    assert.equal(await aliasAnswer(withMailbox, 'abuse@example.org', itself), 'OK postmaster@example.org');
    assert.equal(await aliasAnswer(withMailbox, 'postmaster@example.net', itself), 'OK postmaster@example.org');
    const disabled = fileDirectory('accounts:\n  postmaster@example.org: { disabled: true }\n');
    assert.equal(await aliasAnswer(disabled, 'abuse@example.org', itself), 'NOTFOUND ');
    // A postmaster elsewhere is another server's to deliver.
    const outside: MapRouting = { postmaster: 'hostmaster@elsewhere.example', senderRelays: undefined };
    assert.equal(await aliasAnswer(without, 'abuse@example.org', outside), 'OK hostmaster@elsewhere.example');
  });

  it('with LDAP: unless a directory entry has the address', async () => {
    const directory = ldapDirectory(['admin@example.org', 'postmaster@example.net']);
    assert.equal(await aliasAnswer(directory, 'postmaster@example.org'), `OK ${POSTMASTER}`);
    assert.equal(await aliasAnswer(directory, 'abuse@example.net'), `OK ${POSTMASTER}`);
    assert.equal(await aliasAnswer(directory, 'postmaster@example.net'), 'NOTFOUND ');
    assert.equal(await aliasAnswer(directory, 'abuse@unserved.example'), 'NOTFOUND ');
  });

  it('with provisioned accounts: unless the IdP provisioned the address', async () => {
    const directory = provisionedDirectory('abuse@example.org');
    assert.equal(await aliasAnswer(directory, 'postmaster@example.org'), `OK ${POSTMASTER}`);
    assert.equal(await aliasAnswer(directory, 'abuse@example.org'), 'NOTFOUND ');
  });

  it('answers a directory outage as a temporary failure, not as the postmaster', async () => {
    const down = {
      aliasTargets: async () => undefined,
      servesDomain: async () => true,
      accountByAddress: async () => {
        throw new Error('LDAP: connect ECONNREFUSED');
      },
    } as unknown as Directory;
    assert.match(await aliasAnswer(down, 'postmaster@example.org'), /^TEMP /);
  });
});

describe("the sender-dependent relay map (RELAY_HOST's meaning, RELAY_MAP)", () => {
  const relaysOf = (env: Record<string, string>) => {
    const settings = loadSettings({ OVERRIDE_HOSTNAME: 'mail.example.org', MAIL_DOMAINS: 'example.org', ...env });
    return { postmaster: settings.postmaster, senderRelays: settings.relay?.senders };
  };
  const relayAnswer = (routing: MapRouting, key: string) =>
    answerSocketmap(postfixMaps(fileDirectory(FILE), routing), `relay ${key}`);

  it('finds nothing without RELAY_HOST or RELAY_MAP, and the relays a reload puts in the routing at once', async () => {
    const routing = relaysOf({});
    assert.equal(await relayAnswer(routing, 'alice@example.org'), 'NOTFOUND ');
    assert.equal(await relayAnswer(relaysOf({ DEFAULT_RELAY_HOST: 'x.example' }), 'alice@example.org'), 'NOTFOUND ');
    const maps = postfixMaps(fileDirectory(FILE), routing);
    routing.senderRelays = relaysOf({ RELAY_MAP: '@example.org [relay.example.net]:2525' }).senderRelays;
    assert.equal(await answerSocketmap(maps, 'relay alice@example.org'), 'OK [relay.example.net]:2525');
  });

  it('routes the senders of every served domain (accounts too) to [RELAY_HOST]:RELAY_PORT, and nothing else', async () => {
    const routing = relaysOf({ RELAY_HOST: 'smtp.example.com', RELAY_PORT: '587' });
    // Postfix asks a socketmap with the whole sender address only.
    assert.equal(await relayAnswer(routing, 'alice@example.org'), 'OK [smtp.example.com]:587');
    assert.equal(await relayAnswer(routing, 'Abuse+x@Example.NET'), 'OK [smtp.example.com]:587');
    assert.equal(await relayAnswer(routing, 'someone@elsewhere.example'), 'NOTFOUND ');
    // Bounces (the null sender) go directly, as in docker-mailserver.
    assert.equal(await relayAnswer(routing, '<>'), 'NOTFOUND ');
  });

  it("puts RELAY_MAP's entries first, the address before its domain; an opted-out sender is sent directly", async () => {
    const routing = relaysOf({
      RELAY_HOST: 'smtp.example.com',
      RELAY_MAP: '@example.net [other.example]:2525\n@example.org\nboss@example.org [vip.example]',
    });
    assert.equal(await relayAnswer(routing, 'anyone@example.net'), 'OK [other.example]:2525');
    assert.equal(await relayAnswer(routing, 'alice@example.org'), 'OK DUNNO');
    assert.equal(await relayAnswer(routing, 'Boss@example.org'), 'OK [vip.example]');
    assert.equal(await relayAnswer(routing, 'boss+news@example.org'), 'OK [vip.example]');
    const entriesOnly = relaysOf({ DEFAULT_RELAY_HOST: 'smtp.example.com', RELAY_MAP: '@example.net [other.example]' });
    assert.equal(await relayAnswer(entriesOnly, 'anyone@example.net'), 'OK [other.example]');
    assert.equal(await relayAnswer(entriesOnly, 'alice@example.org'), 'NOTFOUND ');
  });
});
