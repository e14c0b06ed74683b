import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { SCIM_PREFIX, scimRoutes } from '../../../../src/adapters/scim-http.ts';
import { AccountsFileStore } from '../../../../src/auth/accounts/accounts-file-store.ts';
import { accountsFileSource } from '../../../../src/auth/accounts/accounts-source.ts';
import { FileDirectory } from '../../../../src/auth/accounts/file-directory.ts';
import { AppPasswordStore } from '../../../../src/auth/app-passwords/app-password-store.ts';
import { BruteForceGuard } from '../../../../src/auth/brute-force/brute-force-guard.ts';
import { IdentityBindings } from '../../../../src/auth/identity/identity-bindings.ts';
import { SignInPolicies } from '../../../../src/auth/policy/sign-in-policy.ts';
import { MailboxPurger, mailboxPath } from '../../../../src/auth/provisioning/mailbox-purger.ts';
import { ProvisionedAccounts } from '../../../../src/auth/provisioning/provisioned-accounts.ts';
import { ProvisionedDirectory } from '../../../../src/auth/provisioning/provisioned-directory.ts';
import { ScimProvisioner } from '../../../../src/auth/provisioning/scim/scim-provisioner.ts';
import { ScimStore } from '../../../../src/auth/provisioning/scim/scim-store.ts';
import { SharedSecretGate } from '../../../../src/auth/shared-secret-gate.ts';
import { parseTemplates } from '../../../../src/config/provisioning-templates.ts';
import { openStateDatabase } from '../../../../src/state/state-database.ts';
import { guardSettings } from '../../../support/guard-settings.ts';
import {
  addMember,
  DEACTIVATE_ENTRA,
  DEACTIVATE_OKTA,
  FULL_USER,
  MAILBOX_EXTENSION,
  MINIMAL_USER,
  patchOf,
  REACTIVATE,
  removeMember,
  tourGuides,
  USER_SCHEMA,
  USER_WITHOUT_ADDRESS,
} from '../../../support/scim-examples.ts';

const silent = { info() {}, warn() {}, error() {}, child: () => silent } as unknown as FastifyBaseLogger;
const TOKEN = 'scim-test-token-0123456789abcdef0123456789';
const DAY = 86_400;

// biome-ignore lint/suspicious/noExplicitAny: SCIM JSON, read field by field by the assertions
type Body = Record<string, any>;

/** A request body sent byte for byte, not as JSON. */
class RawBody {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

async function setup(options: { guard?: BruteForceGuard } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'idmail-scim-'));
  const file = join(dir, 'accounts.yaml');
  writeFileSync(file, 'accounts:\n  carol@example.org: {}\naliases:\n  sales@example.com: [carol@example.org]\n');
  const db = openStateDatabase(':memory:');
  const accounts = new ProvisionedAccounts(db);
  const store = new ScimStore(db);
  const fixed = new FileDirectory(new AccountsFileStore(accountsFileSource(file), silent), ['example.com']);
  const directory = new ProvisionedDirectory(fixed, accounts, store);
  const bindings = new IdentityBindings(db);
  const policies = new SignInPolicies(db, {
    methods: ['token', 'app-password', 'password'],
    protocols: ['imap', 'pop3', 'smtp', 'sieve'],
  });
  const appPasswords = new AppPasswordStore(db);
  const templates = parseTemplates('default:5G:imap,smtp;staff:20G:imap,pop3,smtp,sieve');
  const provisioner = new ScimProvisioner({
    state: db,
    store,
    accounts,
    directory,
    fixed,
    policies,
    templates,
    domains: ['example.com'],
    purgeAfterSeconds: 30 * DAY,
    log: silent,
  });
  const app = Fastify();
  const gate = new SharedSecretGate({
    authorization: `Bearer ${TOKEN}`,
    method: 'scim-token',
    guard: options.guard,
    log: silent,
  });
  await app.register(scimRoutes(provisioner, gate), { prefix: SCIM_PREFIX });
  /** A request as the IdP sends it: a JSON body, or (RawBody) bytes sent as they are. */
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await app.inject({
      method: method as 'GET',
      url: `${SCIM_PREFIX}${path}`,
      remoteAddress: headers['x-test-remote'] ?? '192.0.2.10',
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { payload: body instanceof RawBody ? body.text : JSON.stringify(body) }),
    });
    return {
      status: response.statusCode,
      type: response.headers['content-type'],
      body: (response.body ? response.json() : undefined) as Body,
    };
  };
  const mailRoot = join(dir, 'mail');
  const purger = new MailboxPurger({
    accounts,
    appPasswords,
    policies,
    bindings,
    fixed,
    mailRoot,
    purgeAfterSeconds: 30 * DAY,
    log: silent,
  });
  return { call, directory, accounts, policies, appPasswords, bindings, purger, mailRoot, file };
}

describe('SCIM Users', () => {
  it('creates a mailbox from the minimal RFC user, ignoring the id and meta it sent', async () => {
    const { call, directory } = await setup();
    const created = await call('POST', '/Users', MINIMAL_USER);
    assert.equal(created.status, 201);
    assert.match(created.type ?? '', /^application\/scim\+json/);
    assert.notEqual(created.body.id, MINIMAL_USER.id);
    assert.equal(created.body.userName, 'bjensen@example.com');
    assert.equal(created.body.meta.resourceType, 'User');
    assert.match(created.body.meta.location, new RegExp(`/scim/v2/Users/${created.body.id}$`));
    assert.deepEqual(await directory.accountByAddress('bjensen@example.com'), {
      address: 'bjensen@example.com',
      disabled: false,
      quota: '5G',
    });
    assert.equal((await call('GET', `/Users/${created.body.id}`)).body.userName, 'bjensen@example.com');
  });

  it('takes the primary email as the mailbox when userName is a login name (full RFC user), and keeps every attribute', async () => {
    const { call, directory } = await setup();
    const created = await call('POST', '/Users', FULL_USER);
    assert.equal(created.status, 201);
    assert.equal(created.body.name.middleName, 'Jane');
    assert.equal(created.body.externalId, '701984');
    assert.equal((await directory.accountByAddress('bjensen@example.com'))?.disabled, false);
    assert.equal(await directory.accountByAddress('babs@jensen.org'), undefined);
  });

  it('refuses a user with no mail address, one outside the served domains, and one whose address is taken', async () => {
    const { call } = await setup();
    const none = await call('POST', '/Users', USER_WITHOUT_ADDRESS);
    assert.equal(none.status, 400);
    assert.deepEqual(none.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
    assert.equal(none.body.scimType, 'invalidValue');
    assert.match(none.body.detail, /no mailbox address/);
    assert.equal(
      (await call('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'eve@elsewhere.example' })).body.scimType,
      'invalidValue',
    );
    assert.equal((await call('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'carol@example.org' })).status, 409);
    assert.equal((await call('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'sales@example.com' })).status, 409);
    await call('POST', '/Users', MINIMAL_USER);
    const again = await call('POST', '/Users', { ...MINIMAL_USER, userName: 'BJensen@example.com' });
    assert.equal(again.status, 409);
    assert.equal(again.body.scimType, 'uniqueness');
  });

  it('finds users with userName eq (case-insensitively) and other filters, and pages', async () => {
    const { call } = await setup();
    for (const name of ['ann', 'ben', 'cat'])
      await call('POST', '/Users', {
        schemas: [USER_SCHEMA],
        userName: `${name}@example.com`,
        externalId: `x-${name}`,
      });
    const found = await call('GET', `/Users?filter=${encodeURIComponent('userName eq "BEN@example.com"')}`);
    assert.equal(found.body.totalResults, 1);
    assert.equal(found.body.Resources[0].userName, 'ben@example.com');
    const none = await call('GET', `/Users?filter=${encodeURIComponent('userName eq "nobody@example.com"')}`);
    assert.deepEqual([none.body.totalResults, none.body.Resources], [0, []]);
    const byExternal = await call(
      'GET',
      `/Users?filter=${encodeURIComponent('externalId eq "x-cat" or userName sw "ann"')}`,
    );
    assert.deepEqual(byExternal.body.Resources.map((user: Body) => user.userName).sort(), [
      'ann@example.com',
      'cat@example.com',
    ]);
    const page = await call('GET', '/Users?startIndex=2&count=1');
    assert.deepEqual(
      [page.body.totalResults, page.body.startIndex, page.body.itemsPerPage, page.body.Resources[0].userName],
      [3, 2, 1, 'ben@example.com'],
    );
    const bad = await call('GET', `/Users?filter=${encodeURIComponent('userName eq')}`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.scimType, 'invalidFilter');
  });

  it('lists users created within the same millisecond in creation order, so pages do not shift', () => {
    const store = new ScimStore(openStateDatabase(':memory:'));
    const names = ['zed', 'amy', 'max', 'bob'];
    for (const name of names) store.insert('User', { name, address: `${name}@example.com`, resource: {} }, 1_000);
    assert.deepEqual(
      store.all('User').map((record) => record.name),
      names,
    );
  });

  it('deactivates and reactivates with PATCH as Okta and Entra ID send it: no sign-in, no delivery, no sending', async () => {
    const { call, directory } = await setup();
    const { body: user } = await call('POST', '/Users', MINIMAL_USER);
    for (const deactivate of [DEACTIVATE_OKTA, DEACTIVATE_ENTRA]) {
      const patched = await call('PATCH', `/Users/${user.id}`, deactivate);
      assert.equal(patched.status, 200);
      assert.equal(patched.body.active, false);
      assert.equal((await directory.accountByAddress('bjensen@example.com'))?.disabled, true);
      assert.deepEqual(await directory.sendersFor('bjensen@example.com'), []);
      await call('PATCH', `/Users/${user.id}`, REACTIVATE);
      assert.equal((await directory.accountByAddress('bjensen@example.com'))?.disabled, false);
    }
  });

  it('replaces with PUT, taking the template and sign-in policy from the idmail extension, and refuses an address change', async () => {
    const { call, directory, policies } = await setup();
    const { body: user } = await call('POST', '/Users', MINIMAL_USER);
    const extension = {
      template: 'staff',
      signInMethods: ['token', 'app-password'],
      signInProtocols: ['imap', 'sieve'],
    };
    const put = await call('PUT', `/Users/${user.id}`, { ...MINIMAL_USER, [MAILBOX_EXTENSION]: extension });
    assert.equal(put.status, 200);
    assert.equal((await directory.accountByAddress('bjensen@example.com'))?.quota, '20G');
    assert.deepEqual(policies.for('bjensen@example.com'), {
      methods: ['token', 'app-password'],
      protocols: ['imap', 'sieve'],
    });
    assert.equal(
      (await call('PUT', `/Users/${user.id}`, { ...MINIMAL_USER, [MAILBOX_EXTENSION]: { template: 'gold' } })).body
        .scimType,
      'invalidValue',
    );
    assert.equal(
      (
        await call('PUT', `/Users/${user.id}`, {
          ...MINIMAL_USER,
          [MAILBOX_EXTENSION]: { signInMethods: ['magic'] },
        })
      ).status,
      400,
    );
    const moved = await call('PUT', `/Users/${user.id}`, { ...MINIMAL_USER, userName: 'barbara@example.com' });
    assert.equal(moved.status, 400);
    assert.equal(moved.body.scimType, 'mutability');
    const idChange = await call('PATCH', `/Users/${user.id}`, patchOf({ op: 'replace', path: 'id', value: 'mine' }));
    assert.equal(idChange.body.id, user.id);
  });

  it('deletes: gone from SCIM at once, no sign-in or delivery, the mail kept until the purge', async () => {
    const { call, directory, accounts, appPasswords, purger, mailRoot } = await setup();
    const { body: user } = await call('POST', '/Users', MINIMAL_USER);
    appPasswords.create('bjensen@example.com', { name: 'phone', protocols: ['imap'], madeBy: 'self-service' });
    const maildir = mailboxPath(mailRoot, 'bjensen@example.com');
    mkdirSync(join(maildir, 'Maildir', 'cur'), { recursive: true });
    assert.equal((await call('DELETE', `/Users/${user.id}`)).status, 204);
    assert.equal((await call('GET', `/Users/${user.id}`)).status, 404);
    assert.equal((await call('DELETE', `/Users/${user.id}`)).status, 404);
    assert.equal((await directory.accountByAddress('bjensen@example.com'))?.disabled, true);
    assert.deepEqual(await purger.purgeDue(Date.now() + 29 * DAY * 1000), []);
    assert.ok(existsSync(maildir));
    assert.deepEqual(await purger.purgeDue(Date.now() + 31 * DAY * 1000), ['bjensen@example.com']);
    assert.equal(existsSync(maildir), false);
    assert.equal(accounts.get('bjensen@example.com'), undefined);
    assert.deepEqual(appPasswords.list('bjensen@example.com'), []);
  });

  it('brings a deleted user back with its mail when the IdP creates it again within the grace period', async () => {
    const { call, directory, accounts, purger } = await setup();
    const { body: user } = await call('POST', '/Users', MINIMAL_USER);
    await call('DELETE', `/Users/${user.id}`);
    assert.equal((await call('POST', '/Users', MINIMAL_USER)).status, 201);
    assert.equal((await directory.accountByAddress('bjensen@example.com'))?.disabled, false);
    assert.equal(accounts.get('bjensen@example.com')?.deletedAt, undefined);
    assert.deepEqual(await purger.purgeDue(Date.now() + 31 * DAY * 1000), []);
  });
});

describe('SCIM Groups', () => {
  async function withUsers() {
    const context = await setup();
    const ids: string[] = [];
    for (const name of ['ann', 'ben'])
      ids.push(
        (await context.call('POST', '/Users', { schemas: [USER_SCHEMA], userName: `${name}@example.com` })).body.id,
      );
    return { ...context, ids };
  }

  it('makes the RFC group a list address in the first mail domain, delivering to its members, who may send as it', async () => {
    const { call, directory, ids } = await withUsers();
    const created = await call('POST', '/Groups', tourGuides(ids));
    assert.equal(created.status, 201);
    assert.equal(created.body.displayName, 'Tour Guides');
    assert.deepEqual(await directory.aliasTargets('tour-guides@example.com'), ['ann@example.com', 'ben@example.com']);
    assert.deepEqual((await directory.sendersFor('tour-guides@example.com')).sort(), [
      'ann@example.com',
      'ben@example.com',
    ]);
    const found = await call('GET', `/Groups?filter=${encodeURIComponent('displayName eq "tour guides"')}`);
    assert.equal(found.body.Resources[0].id, created.body.id);
  });

  it('adds and removes members with the RFC PATCH requests; deactivated members get nothing', async () => {
    const { call, directory, ids } = await withUsers();
    const [ann, ben] = ids as [string, string];
    const { body: group } = await call('POST', '/Groups', tourGuides([ann]));
    assert.equal((await call('PATCH', `/Groups/${group.id}`, addMember(ben))).status, 200);
    assert.deepEqual(await directory.aliasTargets('tour-guides@example.com'), ['ann@example.com', 'ben@example.com']);
    await call('PATCH', `/Groups/${group.id}`, removeMember(ann));
    assert.deepEqual(await directory.aliasTargets('tour-guides@example.com'), ['ben@example.com']);
    await call('PATCH', `/Users/${ben}`, DEACTIVATE_OKTA);
    assert.equal(await directory.aliasTargets('tour-guides@example.com'), undefined);
    assert.equal((await call('PATCH', `/Groups/${group.id}`, addMember('no-such-user'))).body.scimType, 'invalidValue');
  });

  it('forgets a member whose user is deleted, and the list when the group is', async () => {
    const { call, directory, ids } = await withUsers();
    const { body: group } = await call('POST', '/Groups', tourGuides(ids));
    await call('DELETE', `/Users/${ids[0]}`);
    assert.deepEqual(
      (await call('GET', `/Groups/${group.id}`)).body.members.map((member: Body) => member.value),
      [ids[1]],
    );
    assert.deepEqual(await directory.aliasTargets('tour-guides@example.com'), ['ben@example.com']);
    assert.equal((await call('DELETE', `/Groups/${group.id}`)).status, 204);
    assert.equal(await directory.aliasTargets('tour-guides@example.com'), undefined);
  });
});

describe('the SCIM endpoint', () => {
  it('refuses a missing or wrong bearer token', async () => {
    const { call } = await setup();
    for (const authorization of ['', 'Bearer wrong', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`]) {
      const answer = await call('GET', '/Users', undefined, { authorization });
      assert.equal(answer.status, 401);
      assert.equal(answer.body.status, '401');
    }
  });

  it('answers malformed bodies with SCIM errors, not crashes', async () => {
    const { call } = await setup();
    const malformed = await call(
      'POST',
      '/Users',
      new RawBody('{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": '),
    );
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.scimType, 'invalidSyntax');
    assert.equal((await call('POST', '/Users', new RawBody('not json at all'))).status, 400);
    assert.equal(
      (await call('POST', '/Users', { userName: 'x@example.com' })).body.detail,
      `"schemas" must include ${USER_SCHEMA}`,
    );
    assert.equal(
      (await call('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'x@example.com', active: 'maybe' })).status,
      400,
    );
    const { body: user } = await call('POST', '/Users', MINIMAL_USER);
    assert.equal((await call('PATCH', `/Users/${user.id}`, { Operations: 'all' })).body.scimType, 'invalidSyntax');
    assert.equal((await call('PATCH', `/Users/${user.id}`, patchOf({ op: 'explode', path: 'active' }))).status, 400);
  });

  it('describes itself: ServiceProviderConfig, ResourceTypes, Schemas', async () => {
    const { call } = await setup();
    const config = await call('GET', '/ServiceProviderConfig');
    assert.equal(config.body.patch.supported, true);
    assert.equal(config.body.filter.supported, true);
    assert.deepEqual(
      (await call('GET', '/ResourceTypes')).body.Resources.map((type: Body) => type.id),
      ['User', 'Group'],
    );
    assert.equal((await call('GET', `/Schemas/${MAILBOX_EXTENSION}`)).body.name, 'Mailbox');
  });
});

describe('SCIM cannot reach beyond its own accounts', () => {
  it('refuses PATCH paths and values naming the prototype, in any spelling, and leaves the stored user as it was', async () => {
    const { call } = await setup();
    const { body: user } = await call('POST', '/Users', MINIMAL_USER);
    const hostile = [
      patchOf({ op: 'add', path: '__proto__.polluted', value: 'yes' }),
      patchOf({ op: 'add', path: 'constructor.prototype.polluted', value: 'yes' }),
      patchOf({ op: 'replace', path: 'Constructor', value: {} }),
      patchOf({ op: 'add', path: `${USER_SCHEMA}:name.PROTOTYPE`, value: 'x' }),
      patchOf({ op: 'add', path: 'emails[type eq "work"].__Proto__', value: 'x' }),
      patchOf({ op: 'add', value: { nested: { constructor: { prototype: { polluted: 'yes' } } } } }),
      patchOf({ op: 'add', value: { ['__proto__']: { polluted: 'yes' } } }),
    ];
    for (const patch of hostile) {
      const answer = await call('PATCH', `/Users/${user.id}`, patch);
      assert.equal(answer.status, 400, JSON.stringify(patch));
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const stored = await call('GET', `/Users/${user.id}`);
    assert.deepEqual(Object.keys(stored.body).sort(), Object.keys(user).sort());
  });

  it('refuses a body with a key naming the prototype', async () => {
    const { call } = await setup();
    const answer = await call('POST', '/Users', { ...MINIMAL_USER, name: { Constructor: { prototype: {} } } });
    assert.equal(answer.status, 400);
  });

  it('never takes over an address of the accounts file, whatever rows the state database holds', async () => {
    const { call, accounts, policies } = await setup();
    // A row left by an earlier just-in-time sign-in for an address the accounts file has now.
    accounts.createOnce('carol@example.org', { source: 'jit', template: 'default', quota: undefined });
    const answer = await call('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'carol@example.org' });
    assert.equal(answer.status, 409);
    assert.match(answer.body.detail, /belongs to an account or alias of the accounts file/);
    assert.deepEqual(policies.overrides(), []);
  });

  it('stops updating a user whose address the accounts file has taken since', async () => {
    const { call, file } = await setup();
    const { body: user } = await call('POST', '/Users', MINIMAL_USER);
    writeFileSync(file, 'accounts:\n  carol@example.org: {}\n  bjensen@example.com: {}\n');
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the accounts file is looked at once a second
    assert.equal((await call('PATCH', `/Users/${user.id}`, DEACTIVATE_OKTA)).status, 409);
  });

  it('purges only mailboxes SCIM or JIT made: an address the accounts file has is kept, mail and all', async () => {
    const { call, file, purger, mailRoot, accounts, appPasswords } = await setup();
    const { body: user } = await call('POST', '/Users', MINIMAL_USER);
    await call('DELETE', `/Users/${user.id}`);
    const maildir = mailboxPath(mailRoot, 'bjensen@example.com');
    mkdirSync(join(maildir, 'Maildir', 'cur'), { recursive: true });
    // The admin gave the address to an account of the file during the grace period.
    writeFileSync(file, 'accounts:\n  carol@example.org: {}\n  bjensen@example.com: {}\n');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    appPasswords.create('bjensen@example.com', { name: "the file account's", protocols: ['imap'], madeBy: 'admin' });
    assert.deepEqual(await purger.purgeDue(Date.now() + 31 * DAY * 1000), []);
    assert.ok(existsSync(maildir));
    assert.equal(accounts.get('bjensen@example.com'), undefined);
    assert.equal(appPasswords.list('bjensen@example.com').length, 1);
  });

  it('sits behind the brute-force defence: wrong bearer tokens ban the address, even for the right token', async () => {
    const guard = new BruteForceGuard(guardSettings(), silent);
    const { call } = await setup({ guard });
    for (let i = 0; i < 3; i++)
      assert.equal(
        (await call('GET', '/Users', undefined, { authorization: 'Bearer guess', 'x-test-remote': '203.0.113.5' }))
          .status,
        401,
      );
    assert.equal((await call('GET', '/Users', undefined, { 'x-test-remote': '203.0.113.5' })).status, 401);
    assert.equal((await call('GET', '/Users', undefined, { 'x-test-remote': '203.0.113.6' })).status, 200);
  });
});
