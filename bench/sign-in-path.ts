/**
 * Which source files a sign-in crosses: the helper's Dovecot routes, authority, directory and token
 * checker built in-process (accounts file, an in-process IdP), then one password sign-in and one
 * first-seen token sign-in, each under V8's precise coverage. Prints the files whose code ran for each,
 * plus the files on the daemon side (dovecot.conf, and the Lua bridge for passwords).
 *
 *   node bench/sign-in-path.ts
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { dovecotRoutes } from '../src/adapters/dovecot-http.ts';
import { AccountsFileStore } from '../src/auth/accounts/accounts-file-store.ts';
import { accountsFileSource } from '../src/auth/accounts/accounts-source.ts';
import { FileDirectory } from '../src/auth/accounts/file-directory.ts';
import { AppPasswordStore } from '../src/auth/app-passwords/app-password-store.ts';
import { Authority } from '../src/auth/authority.ts';
import { BruteForceGuard } from '../src/auth/brute-force/brute-force-guard.ts';
import { IdentityBindings } from '../src/auth/identity/identity-bindings.ts';
import { hashPassword } from '../src/auth/passwords/password-hash.ts';
import { SignInPolicies } from '../src/auth/policy/sign-in-policy.ts';
import { TokenChecker } from '../src/auth/tokens/token-checker.ts';
import { openStateDatabase } from '../src/state/state-database.ts';
import { FakeIdp } from '../test/support/fake-idp.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const silent = { info() {}, warn() {}, error() {}, child: () => silent };

const idp = await FakeIdp.start();
const file = join(mkdtempSync(join(tmpdir(), 'idmail-path-')), 'accounts.yaml');
writeFileSync(file, `accounts:\n  alice@example.org:\n    password: '${await hashPassword('alice-password')}'\n`);
const state = openStateDatabase(':memory:');
const guardSettings = {
  windowSeconds: 600,
  delayAfter: 5,
  banAfter: 20,
  accountBanAfter: 0,
  banSeconds: 60,
  allowlist: [],
  ipv6Prefix: 64,
};
const authority = new Authority({
  directory: new FileDirectory(new AccountsFileStore(accountsFileSource(file), silent), ['example.org']),
  tokens: new TokenChecker(idp.settings()),
  appPasswords: new AppPasswordStore(state),
  policies: new SignInPolicies(state, {
    methods: ['token', 'password', 'app-password'],
    protocols: ['imap', 'pop3', 'smtp', 'sieve'],
  }),
  bindings: new IdentityBindings(state),
  guard: new BruteForceGuard(guardSettings, silent),
  log: silent,
});
const app = Fastify();
// Quotas on, as by default: every answer carries the mailbox size limit.
await dovecotRoutes(app, authority, { defaultQuota: 'unlimited' });

const password = () =>
  app.inject({
    method: 'POST',
    url: '/dovecot/passdb/verify',
    payload: { user: 'alice@example.org', password: 'alice-password', protocol: 'imap', remote_ip: '192.0.2.1' },
  });
const token = async () =>
  app.inject({
    method: 'POST',
    url: '/dovecot/introspect',
    headers: { 'x-dovecot-auth-protocol': 'imap', 'x-dovecot-auth-remote': '192.0.2.1:4000' },
    payload: { token: await idp.token({ jti: crypto.randomUUID() }) },
  });

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: false });

/** The source files (src/) with code that ran during `signIn`, after a first call warmed up the modules. */
async function filesCrossed(signIn: () => Promise<{ statusCode: number }>): Promise<string[]> {
  await signIn();
  await session.post('Profiler.takePreciseCoverage');
  const answer = await signIn();
  if (answer.statusCode !== 200) throw new Error(`the sign-in answered HTTP ${answer.statusCode}`);
  const { result } = await session.post('Profiler.takePreciseCoverage');
  const ran = result.filter((script) => script.functions.some((fn) => fn.ranges.some((range) => range.count > 0)));
  return ran
    .map((script) => script.url)
    .filter((url) => url.startsWith(`file://${ROOT}src/`))
    .map((url) => relative(ROOT, fileURLToPath(url)))
    .sort();
}

for (const [name, signIn, daemonSide] of [
  ['password', password, ['dovecot.conf', 'the Lua bridge']],
  ['token', token, ['dovecot.conf']],
] as const) {
  const files = await filesCrossed(signIn);
  console.log(
    `${name} sign-in: ${files.length + daemonSide.length} files (${daemonSide.join(', ')} + ${files.length} of src/)`,
  );
  for (const path of files) console.log(`  ${path}`);
}
await app.close();
idp.close();
