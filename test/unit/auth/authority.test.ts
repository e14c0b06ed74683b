import assert from 'node:assert/strict';
import type { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { AppPasswordStore } from '../../../src/auth/app-passwords/app-password-store.ts';
import { Authority } from '../../../src/auth/authority.ts';
import { BruteForceGuard } from '../../../src/auth/brute-force/brute-force-guard.ts';
import { type Account, type Directory, DirectoryUnavailable, type PasswordCheck } from '../../../src/auth/directory.ts';
import { IdentityBindings } from '../../../src/auth/identity/identity-bindings.ts';
import { SignInPolicies } from '../../../src/auth/policy/sign-in-policy.ts';
import type { TokenChecker } from '../../../src/auth/tokens/token-checker.ts';
import { openStateDatabase } from '../../../src/state/state-database.ts';
import { SIGN_IN_METHODS, SIGN_IN_PROTOCOLS, type SignInPolicy } from '../../../src/vocabulary/sign-in.ts';
import { guardSettings } from '../../support/guard-settings.ts';

const silent = { info() {}, warn() {}, error() {} } as unknown as FastifyBaseLogger;

/** Two accounts; alice also signs in as "alice"; passwords are "<name>-pw". */
class FakeDirectory implements Directory {
  readonly accounts = new Map<string, Account>([
    ['alice@example.org', { address: 'alice@example.org', disabled: false }],
    ['bob@example.org', { address: 'bob@example.org', disabled: false }],
  ]);

  async accountByAddress(address: string) {
    return this.accounts.get(address);
  }
  async accountBySignInName(name: string) {
    return this.accounts.get(name === 'alice' ? 'alice@example.org' : name);
  }
  async accountByTokenName(name: string) {
    return this.accounts.get(name);
  }
  async checkPassword(name: string, password: string): Promise<PasswordCheck> {
    const account = await this.accountBySignInName(name);
    if (account === undefined) return { outcome: 'unknown_user' };
    return { outcome: password === `${account.address.split('@')[0]}-pw` ? 'match' : 'mismatch', account };
  }
  async servesDomain() {
    return true;
  }
  async aliasTargets() {
    return undefined;
  }
  async sendersFor() {
    return [];
  }
}

const everything: SignInPolicy = { methods: [...SIGN_IN_METHODS], protocols: [...SIGN_IN_PROTOCOLS] };

/** Accepts "token-for-<address>[-as-<subject>]" as that address's token (subject: the address), nothing else. */
const fakeTokens = {
  async check(token: string) {
    const [, username, subject] = /^token-for-(.+?)(?:-as-(.+))?$/.exec(token) ?? [];
    const checked = { cached: false, fingerprint: `fingerprint-of-${token}` };
    if (username === undefined) {
      return { outcome: 'invalid' as const, code: 'token_malformed' as const, reason: 'bad token', ...checked };
    }
    const identity = { issuer: 'https://idp.example', subject: subject ?? username };
    return { outcome: 'valid' as const, username, identity, expiresAt: Date.now() + 60_000, ...checked };
  },
} as unknown as TokenChecker;

/** The database behind a store made by setup(), for tests that must date rows back. */
const databases = new WeakMap<AppPasswordStore, DatabaseSync>();
const appPasswordDatabase = (store: AppPasswordStore) => ({ db: databases.get(store) as DatabaseSync });

function setup(defaults = everything, guard?: BruteForceGuard, log = silent) {
  const db = openStateDatabase(':memory:');
  const directory = new FakeDirectory();
  const appPasswords = new AppPasswordStore(db);
  databases.set(appPasswords, db);
  const policies = new SignInPolicies(db, defaults);
  const bindings = new IdentityBindings(db);
  const authority = new Authority({
    directory,
    tokens: fakeTokens,
    appPasswords,
    policies,
    bindings,
    appPasswordSuspendAfterSeconds: 30 * 86_400,
    guard,
    log,
  });
  return { directory, appPasswords, policies, bindings, authority };
}

const imap = { protocol: 'imap', remoteIp: '192.0.2.7' };
const outcome = async (decision: Promise<{ outcome: string }>) => (await decision).outcome;

describe('sign-in with app passwords and policies', () => {
  it('accepts an app password for its own account on its protocols only', async () => {
    const { appPasswords, authority } = setup();
    const { password } = appPasswords.create('alice@example.org', {
      name: 'mail app',
      protocols: ['imap', 'smtp'],
      madeBy: 'admin',
    });
    assert.equal(await outcome(authority.signInWithPassword('alice@example.org', password, imap)), 'allow');
    assert.equal(
      await outcome(authority.signInWithPassword('alice', password, { ...imap, protocol: 'smtp' })),
      'allow',
    );
    assert.equal(
      await outcome(authority.signInWithPassword('alice@example.org', password, { protocol: 'pop3' })),
      'deny',
    );
    assert.equal(
      await outcome(authority.signInWithPassword('alice@example.org', password, { protocol: 'lmtp' })),
      'deny',
    );
    assert.equal(await outcome(authority.signInWithPassword('bob@example.org', password, imap)), 'deny');
    assert.equal(appPasswords.list('alice@example.org')[0]?.lastUsedIp, '192.0.2.7');
  });

  it('refuses an app password once the account is disabled', async () => {
    const { directory, appPasswords, authority } = setup();
    const { password } = appPasswords.create('alice@example.org', { name: 'x', protocols: ['imap'], madeBy: 'admin' });
    directory.accounts.set('alice@example.org', { address: 'alice@example.org', disabled: true });
    assert.deepEqual(await authority.signInWithPassword('alice@example.org', password, imap), {
      outcome: 'deny',
      why: 'disabled',
      code: 'account_disabled',
      reason: 'account disabled',
    });
  });

  it('with AUTH_METHODS=token,app-password refuses the account password but takes an app password', async () => {
    const { appPasswords, authority } = setup({
      methods: ['token', 'app-password'],
      protocols: [...SIGN_IN_PROTOCOLS],
    });
    const refused = await authority.signInWithPassword('alice@example.org', 'alice-pw', imap);
    assert.equal(refused.outcome, 'deny');
    assert.match(refused.outcome === 'deny' ? refused.reason : '', /sign-in by password on imap not allowed/);
    const { password } = appPasswords.create('alice@example.org', { name: 'x', protocols: ['imap'], madeBy: 'admin' });
    assert.equal(await outcome(authority.signInWithPassword('alice@example.org', password, imap)), 'allow');
  });

  it("applies an account's own policy over the defaults, and its reset", async () => {
    const { policies, authority } = setup();
    policies.set('bob@example.org', { protocols: ['smtp'] });
    assert.equal(await outcome(authority.signInWithPassword('bob@example.org', 'bob-pw', imap)), 'deny');
    assert.equal(
      await outcome(authority.signInWithPassword('bob@example.org', 'bob-pw', { protocol: 'smtp' })),
      'allow',
    );
    assert.equal(await outcome(authority.signInWithPassword('alice@example.org', 'alice-pw', imap)), 'allow');
    assert.deepEqual(policies.overrides(), [{ account: 'bob@example.org', protocols: ['smtp'] }]);
    policies.set('bob@example.org', { methods: ['token'] });
    assert.deepEqual(policies.for('bob@example.org'), { methods: ['token'], protocols: ['smtp'] });
    policies.clear('bob@example.org');
    assert.equal(await outcome(authority.signInWithPassword('bob@example.org', 'bob-pw', imap)), 'allow');
  });

  it('treats a wrong or expired app password as bad credentials, without trying it as the account password', async () => {
    const { appPasswords, authority } = setup();
    const { password } = appPasswords.create('alice@example.org', {
      name: 'x',
      protocols: ['imap'],
      expiresAt: new Date(Date.now() + 50),
      madeBy: 'admin',
    });
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.deepEqual(await authority.signInWithPassword('alice@example.org', password, imap), {
      outcome: 'deny',
      why: 'bad_credentials',
      code: 'app_password_expired',
      reason: 'app password expired',
    });
    const forged = `idmail_${'0'.repeat(16)}_${'0'.repeat(40)}`;
    assert.deepEqual(await authority.signInWithPassword('alice@example.org', forged, imap), {
      outcome: 'deny',
      why: 'bad_credentials',
      code: 'wrong_app_password',
      reason: 'wrong app password',
    });
  });

  it('lets a token holder manage their app passwords on any protocol, unless their policy forbids tokens', async () => {
    const { policies, authority } = setup({ methods: [...SIGN_IN_METHODS], protocols: ['smtp'] });
    assert.equal(await outcome(authority.signInWithToken('token-for-alice@example.org', imap)), 'deny');
    const holder = await authority.tokenHolder('token-for-alice@example.org', { remoteIp: '192.0.2.9' });
    assert.equal(holder.outcome === 'allow' && holder.account.address, 'alice@example.org');
    assert.equal(await outcome(authority.tokenHolder('forged', {})), 'deny');
    policies.set('alice@example.org', { methods: ['app-password'] });
    assert.equal(await outcome(authority.tokenHolder('token-for-alice@example.org', {})), 'deny');
  });
});

describe('brute-force defence around sign-ins', () => {
  // No delays here (they are the guard's own tests): three failures from one IP ban it.
  const guarded = () => setup(everything, new BruteForceGuard(guardSettings({ allowlist: ['127.0.0.0/8'] }), silent));
  const attacker = { protocol: 'imap', remoteIp: '203.0.113.9' };

  it('after wrong passwords from one IP refuses it the right password and a valid token, and leaves other IPs alone', async () => {
    const { authority } = guarded();
    for (let i = 0; i < 3; i++)
      assert.equal((await authority.signInWithPassword('alice@example.org', 'guess', attacker)).outcome, 'deny');
    const refused = await authority.signInWithPassword('alice@example.org', 'alice-pw', attacker);
    assert.match(refused.outcome === 'deny' ? refused.reason : '', /refused by the brute-force defence: ip banned/);
    assert.equal(await outcome(authority.signInWithToken('token-for-alice@example.org', attacker)), 'deny');
    assert.equal(await outcome(authority.signInWithPassword('alice@example.org', 'alice-pw', imap)), 'allow');
    assert.equal(
      await outcome(
        authority.signInWithPassword('alice@example.org', 'guess', { protocol: 'imap', remoteIp: '127.0.0.1' }),
      ),
      'deny',
    );
  });

  it('counts refused tokens against the IP', async () => {
    const { authority } = guarded();
    for (let i = 0; i < 3; i++) assert.equal(await outcome(authority.signInWithToken('forged', attacker)), 'deny');
    assert.equal(await outcome(authority.signInWithToken('token-for-alice@example.org', attacker)), 'deny');
  });

  it('never counts a temporary failure: a directory outage bans no one', async () => {
    const { authority, directory } = guarded();
    const checkPassword = directory.checkPassword.bind(directory);
    directory.checkPassword = async () => {
      throw new DirectoryUnavailable('directory down');
    };
    for (let i = 0; i < 5; i++)
      assert.equal(await outcome(authority.signInWithPassword('alice@example.org', 'alice-pw', attacker)), 'tempfail');
    directory.checkPassword = checkPassword;
    assert.equal(await outcome(authority.signInWithPassword('alice@example.org', 'alice-pw', attacker)), 'allow');
  });

  it('never counts loopback (allowlisted) failures', async () => {
    const { authority } = guarded();
    const local = { protocol: 'imap', remoteIp: '127.0.0.1' };
    for (let i = 0; i < 5; i++) await authority.signInWithPassword('alice@example.org', 'guess', local);
    assert.equal(await outcome(authority.signInWithPassword('alice@example.org', 'alice-pw', local)), 'allow');
  });
});

describe('one token, one exact identity', () => {
  it('names the account by the exact address, never through a looser login (a uid)', async () => {
    const { authority } = setup();
    assert.equal(await outcome(authority.signInWithToken('token-for-alice@example.org', imap)), 'allow');
    // "alice" is a login name of alice@example.org for passwords, not the name a token must carry.
    assert.equal(await outcome(authority.signInWithToken('token-for-alice', imap)), 'deny');
  });

  it('binds an account to the IdP identity that first signed in, and refuses another subject with the same address until rebound', async () => {
    const { authority, bindings } = setup();
    assert.equal(await outcome(authority.signInWithToken('token-for-alice@example.org-as-subject-1', imap)), 'allow');
    const other = await authority.signInWithToken('token-for-alice@example.org-as-subject-2', imap);
    assert.deepEqual(other, {
      outcome: 'deny',
      why: 'bad_credentials',
      code: 'identity_mismatch',
      reason: 'token subject is not the identity this account is bound to',
    });
    assert.equal(await outcome(authority.tokenHolder('token-for-alice@example.org-as-subject-2', imap)), 'deny');
    assert.equal(await outcome(authority.signInWithToken('token-for-alice@example.org-as-subject-1', imap)), 'allow');
    assert.equal(bindings.unbind('alice@example.org')?.subject, 'subject-1');
    assert.equal(await outcome(authority.signInWithToken('token-for-alice@example.org-as-subject-2', imap)), 'allow');
    assert.equal(bindings.get('alice@example.org')?.subject, 'subject-2');
  });

  it('binds nothing for a disabled account', async () => {
    const { authority, bindings, directory } = setup();
    directory.accounts.set('bob@example.org', { address: 'bob@example.org', disabled: true });
    assert.equal(await outcome(authority.signInWithToken('token-for-bob@example.org', imap)), 'deny');
    assert.equal(bindings.get('bob@example.org'), undefined);
  });
});

describe('app passwords never outlive their owner', () => {
  const DAY_MS = 86_400_000;

  it('suspends a self-service app password once its owner has had no token sign-in for APP_PASSWORD_SUSPEND_AFTER, and restores it with the next one', async () => {
    const { appPasswords, authority, bindings } = setup();
    assert.equal(await outcome(authority.signInWithToken('token-for-alice@example.org', imap)), 'allow');
    const { password, appPassword } = appPasswords.create('alice@example.org', {
      name: 'phone',
      protocols: ['imap'],
      madeBy: 'self-service',
    });
    assert.equal(await outcome(authority.signInWithPassword('alice@example.org', password, imap)), 'allow');
    // 31 days without a token sign-in: the binding's last token and the app password's creation lie that far back.
    const longAgo = Date.now() - 31 * DAY_MS;
    bindings.unbind('alice@example.org');
    bindings.check('alice@example.org', { issuer: 'https://idp.example', subject: 'alice@example.org' }, longAgo);
    const { db } = appPasswordDatabase(appPasswords);
    db.prepare('UPDATE app_passwords SET created_at = ? WHERE id = ?').run(longAgo, appPassword.id);
    const suspended = await authority.signInWithPassword('alice@example.org', password, imap);
    assert.match(suspended.outcome === 'deny' ? suspended.reason : '', /app password suspended/);
    assert.equal(await outcome(authority.signInWithToken('token-for-alice@example.org', imap)), 'allow');
    assert.equal(await outcome(authority.signInWithPassword('alice@example.org', password, imap)), 'allow');
  });

  it('never suspends an app password an admin made', async () => {
    const { appPasswords, authority } = setup();
    const { password, appPassword } = appPasswords.create('bob@example.org', {
      name: 'printer',
      protocols: ['imap'],
      madeBy: 'admin',
    });
    appPasswordDatabase(appPasswords)
      .db.prepare('UPDATE app_passwords SET created_at = ? WHERE id = ?')
      .run(Date.now() - 400 * DAY_MS, appPassword.id);
    assert.equal(await outcome(authority.signInWithPassword('bob@example.org', password, imap)), 'allow');
  });
});

describe('the brute-force defence covers the self-service API', () => {
  it('counts refused self-service tokens against the IP and then refuses even a valid one', async () => {
    const { authority } = setup(everything, new BruteForceGuard(guardSettings(), silent));
    const web = { remoteIp: '203.0.113.20' };
    for (let i = 0; i < 3; i++) assert.equal(await outcome(authority.tokenHolder('forged', web)), 'deny');
    const refused = await authority.tokenHolder('token-for-alice@example.org', web);
    assert.match(refused.outcome === 'deny' ? refused.reason : '', /refused by the brute-force defence/);
  });
});

describe('the sign-in log line', () => {
  /** A logger that keeps each line as the JSON pino would write of its fields. */
  function recordingLogger() {
    const lines: string[] = [];
    const keep = (fields: object) => void lines.push(JSON.stringify(fields));
    return { log: { info: keep, warn: keep, error: keep } as unknown as FastifyBaseLogger, lines };
  }

  it('carries the code of each refusal and temporary failure right after its reason (fail2ban matches on it)', async () => {
    const { log, lines } = recordingLogger();
    const { authority, directory } = setup(everything, undefined, log);
    await authority.signInWithPassword('alice@example.org', 'guess', imap);
    await authority.signInWithPassword('nobody@example.org', 'guess', imap);
    await authority.signInWithToken('forged', imap);
    directory.checkPassword = async () => {
      throw new DirectoryUnavailable('directory down');
    };
    await authority.signInWithPassword('alice@example.org', 'alice-pw', imap);
    const signIns = lines.filter((line) => line.includes('"event":"sign-in"'));
    assert.equal(signIns.length, 4);
    assert.match(signIns[0] ?? '', /"outcome":"deny","reason":"wrong password","code":"wrong_password"}$/);
    assert.match(signIns[1] ?? '', /"outcome":"deny","reason":"unknown user","code":"unknown_user"}$/);
    assert.match(signIns[2] ?? '', /"outcome":"deny","reason":"bad token","code":"token_malformed"}$/);
    assert.match(signIns[3] ?? '', /"outcome":"tempfail","reason":"directory down","code":"directory_unavailable"}$/);
  });

  it('carries no code for a sign-in allowed', async () => {
    const { log, lines } = recordingLogger();
    await setup(everything, undefined, log).authority.signInWithPassword('alice@example.org', 'alice-pw', imap);
    assert.match(lines.find((line) => line.includes('"event":"sign-in"')) ?? '', /"outcome":"allow"}$/);
  });
});
