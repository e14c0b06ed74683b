import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { dovecotRoutes } from '../../../src/adapters/dovecot-http.ts';
import {
  answerSocketmap,
  handleConnection,
  netstring,
  takeNetstrings,
} from '../../../src/adapters/postfix-socketmap.ts';
import { AccountsFileStore } from '../../../src/auth/accounts/accounts-file-store.ts';
import { accountsFileSource } from '../../../src/auth/accounts/accounts-source.ts';
import { FileDirectory } from '../../../src/auth/accounts/file-directory.ts';
import { AppPasswordStore } from '../../../src/auth/app-passwords/app-password-store.ts';
import { Authority } from '../../../src/auth/authority.ts';
import { BruteForceGuard } from '../../../src/auth/brute-force/brute-force-guard.ts';
import { IdentityBindings } from '../../../src/auth/identity/identity-bindings.ts';
import { SignInPolicies } from '../../../src/auth/policy/sign-in-policy.ts';
import type { TokenChecker } from '../../../src/auth/tokens/token-checker.ts';
import { openStateDatabase } from '../../../src/state/state-database.ts';
import { guardSettings } from '../../support/guard-settings.ts';

const silent = { info() {}, warn() {}, error() {}, child: () => silent } as unknown as FastifyBaseLogger;
const refusingTokens = {
  check: async () => ({
    outcome: 'invalid',
    code: 'token_malformed',
    reason: 'bad token',
    cached: false,
    fingerprint: 'f',
  }),
} as unknown as TokenChecker;

/** The reason of each refusal the authority decided, in order. */
async function helper() {
  const reasons: string[] = [];
  const file = join(mkdtempSync(join(tmpdir(), 'idmail-adapter-')), 'accounts.yaml');
  writeFileSync(file, 'accounts:\n  alice@example.org: {}\n');
  const db = openStateDatabase(':memory:');
  const guard = new BruteForceGuard(guardSettings({ banAfter: 4, allowlist: ['127.0.0.0/8'] }), silent);
  const authority = new Authority({
    directory: new FileDirectory(new AccountsFileStore(accountsFileSource(file), silent), ['example.org']),
    tokens: refusingTokens,
    appPasswords: new AppPasswordStore(db),
    policies: new SignInPolicies(db, {
      methods: ['token', 'password', 'app-password'],
      protocols: ['imap', 'pop3', 'smtp', 'sieve'],
    }),
    bindings: new IdentityBindings(db),
    guard,
    observers: [({ decision }) => void reasons.push(decision.outcome === 'deny' ? decision.reason : decision.outcome)],
    log: silent,
  });
  const app = Fastify();
  await dovecotRoutes(app, authority, undefined);
  return { app, reasons };
}

const BANNED = /refused by the brute-force defence: ip banned/;

describe("Dovecot's calls, in-process", () => {
  it('counts a client by the same network on the token and the password path: Dovecot sends IPv6 as [address]:port to one, bare to the other', async () => {
    const { app, reasons } = await helper();
    const introspect = (remote: string) =>
      app.inject({
        method: 'POST',
        url: '/dovecot/introspect',
        headers: { 'x-dovecot-auth-protocol': 'imap', 'x-dovecot-auth-remote': remote },
        payload: { token: 'forged' },
      });
    const password = (ip: string, secret = 'guess') =>
      app.inject({
        method: 'POST',
        url: '/dovecot/passdb/verify',
        payload: { user: 'alice@example.org', password: secret, protocol: 'imap', remote_ip: ip },
      });
    assert.equal((await introspect('[2001:db8:1:2::10]:50123')).json().active, false);
    assert.equal((await introspect('[2001:db8:1:2::11]:50124')).json().active, false);
    assert.equal((await password('2001:db8:1:2::12')).json().result, 'password_mismatch');
    assert.equal((await password('2001:db8:1:2::13')).json().result, 'password_mismatch');
    assert.deepEqual(
      reasons.filter((reason) => BANNED.test(reason)),
      [],
    );
    // Four failures from the one /64: refused from any address in it, on either path; another network is not.
    await password('2001:db8:1:2:ffff::1');
    assert.match(reasons.at(-1) ?? '', BANNED);
    await introspect('[2001:db8:1:2::99]:50126');
    assert.match(reasons.at(-1) ?? '', BANNED);
    await introspect('[2001:db8:1:3::1]:50125');
    assert.equal(reasons.at(-1), 'bad token');
  });

  it('reads an IPv4 remote with its port on the token path, and IPv4-mapped IPv6 as IPv4', async () => {
    const { app, reasons } = await helper();
    for (let i = 0; i < 4; i++) {
      await app.inject({
        method: 'POST',
        url: '/dovecot/introspect',
        headers: { 'x-dovecot-auth-protocol': 'imap', 'x-dovecot-auth-remote': `198.51.100.7:${40000 + i}` },
        payload: { token: 'forged' },
      });
    }
    await app.inject({
      method: 'POST',
      url: '/dovecot/passdb/verify',
      payload: { user: 'alice@example.org', password: 'guess', protocol: 'imap', remote_ip: '::ffff:198.51.100.7' },
    });
    assert.match(reasons.at(-1) ?? '', BANNED);
  });
});

describe('the Postfix socketmap, in-process', () => {
  const maps = { mailbox: async (key: string) => (key === 'alice@example.org' ? 'OK' : undefined) };

  it('answers only its own maps: a name reaching the prototype is an unknown map', async () => {
    assert.equal(await answerSocketmap(maps, 'mailbox alice@example.org'), 'OK OK');
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty'])
      assert.equal(await answerSocketmap(maps, `${name} alice@example.org`), 'PERM unknown map');
    assert.equal(await answerSocketmap(maps, 'mailbox'), 'PERM unknown map');
  });

  it('refuses to buffer a request that never says how long it is', () => {
    assert.throws(() => takeNetstrings(Buffer.from('1'.repeat(6))), /malformed netstring length/);
    assert.throws(() => takeNetstrings(Buffer.alloc(1024 * 1024, 'a')), /malformed netstring length/);
    assert.deepEqual(takeNetstrings(Buffer.from('12345')).messages, []);
    assert.deepEqual(takeNetstrings(Buffer.from('4:abcd,2:x')), { messages: ['abcd'], rest: Buffer.from('2:x') });
  });

  it('closes a connection flooding it with bytes and no colon, and keeps serving others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'idmail-socketmap-'));
    const server = createServer((socket) => handleConnection(socket, maps, silent));
    await new Promise<void>((resolve) => server.listen(join(dir, 'maps.sock'), resolve));
    try {
      const flood = connect(join(dir, 'maps.sock'));
      const closed = new Promise<boolean>((resolve) => flood.once('close', () => resolve(true)));
      flood.on('error', () => undefined);
      flood.write(Buffer.alloc(64 * 1024, '7'));
      assert.equal(await closed, true);
      const client = connect(join(dir, 'maps.sock'));
      const answer = new Promise<string>((resolve) => client.once('data', (data) => resolve(data.toString())));
      client.write(netstring('mailbox alice@example.org'));
      assert.equal(await answer, netstring('OK OK'));
      client.destroy();
    } finally {
      server.close();
    }
  });
});
