import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair, SignJWT } from 'jose';
import { ISSUER, USERS } from '../support/idp.ts';
import {
  type Authenticate,
  CLOSED,
  imapAuthenticate,
  manageSieveAuthenticate,
  oauthbearer,
  pop3Authenticate,
  smtpAuthenticate,
  xoauth2,
} from '../support/sasl.ts';
import { assertLogged, JWT_ENV, type Stack, startStack } from '../support/stack.ts';

/**
 * The hostile-token corpus through the real appliance, on every protocol a token signs in to. Each
 * case is a valid access token for alice with exactly one defect, so it would sign in if the check
 * for that defect were missing; the valid token itself signs in on each protocol, before and after.
 */
let stack: Stack;
const ALICE = USERS.alice.address;
const now = () => Math.floor(Date.now() / 1000);

/** An account a Unicode-lowercased claim could reach: the Kelvin sign K lowercases to "k". */
const KIM = 'kim@example.test';

before(async () => {
  // Dozens of refusals from one IP: the brute-force defence would ban the test host midway.
  stack = await startStack({ ...JWT_ENV, BRUTE_FORCE_PROTECTION: '0', OAUTH2_ALLOWED_CLIENTS: 'mail-client' });
  const added = await stack.mail.exec(['idmail', 'account', 'add', KIM, '--no-password']);
  assert.equal(added.exitCode, 0, added.output);
});
after(async () => stack?.stop());

/** Everything a token meant for this mail server carries, for alice. */
const valid = () => ({
  aud: 'urn:idmail',
  email: ALICE,
  email_verified: true,
  sub: ALICE,
  client_id: 'mail-client',
  scope: 'openid email mail',
});
const minted = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
  stack.idp.mint({ ...claims, _header: header });
/** The valid claims without one (the test IdP would otherwise add its own subject and email_verified). */
const without = (name: string) => ({
  ...Object.fromEntries(Object.entries(valid()).filter(([key]) => key !== name)),
  _omit: [name],
});

async function idpPublicKey(): Promise<object> {
  const { keys } = (await (await fetch(`${stack.idp.url}/jwks`)).json()) as { keys: object[] };
  return keys[0] as object;
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** [what the token is, how to make it, the login it is presented with (alice unless named)] */
const CASES: Array<[string, () => Promise<string>, string?]> = [
  ['expired', () => minted({ ...valid(), iat: now() - 7200, exp: now() - 3600 })],
  ['not yet valid', () => minted({ ...valid(), nbf: now() + 3600 })],
  ['from another issuer', () => minted({ ...valid(), iss: 'http://evil.example' })],
  ['for another audience', () => minted({ ...valid(), aud: 'urn:other' })],
  ['without an audience', () => minted(without('aud'))],
  ['from a client not allowed (OAUTH2_ALLOWED_CLIENTS)', () => minted({ ...valid(), client_id: 'rogue-client' })],
  [
    'an ID token (typ JWT, nonce, at_hash)',
    () => minted({ ...valid(), nonce: 'n-0S6_WzA2Mj', at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q' }, { typ: 'JWT' }),
  ],
  ['an ID token by its payload typ', () => minted({ ...valid(), typ: 'ID' }, { typ: 'JWT' })],
  ['a refresh token (Keycloak payload typ)', () => minted({ ...valid(), typ: 'Refresh' }, { typ: 'JWT' })],
  ['an offline token (Keycloak payload typ)', () => minted({ ...valid(), typ: 'Offline' }, { typ: 'JWT' })],
  [
    'a logout token',
    () =>
      minted(
        { ...valid(), events: { 'http://schemas.openid.net/event/backchannel-logout': {} } },
        { typ: 'logout+jwt' },
      ),
  ],
  [
    'sender-constrained (DPoP cnf)',
    () => minted({ ...valid(), cnf: { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' } }),
  ],
  ['with an unverified email', () => minted({ ...valid(), email_verified: false })],
  ['without email_verified', () => minted(without('email_verified'))],
  ['without a subject', () => minted(without('sub'))],
  [
    "with a Kelvin sign that Unicode lowercases to another account's address",
    () => minted({ ...valid(), email: '\u212Aim@example.test', sub: 'kim' }),
    KIM,
  ],
  ['with white space around the address', () => minted({ ...valid(), email: ` ${ALICE}` })],
  ['with a newline after the address', () => minted({ ...valid(), email: `${ALICE}\n` })],
  [
    'signed by another key under an unknown kid',
    async () => {
      const { privateKey } = await generateKeyPair('RS256');
      return new SignJWT({ iss: ISSUER, exp: now() + 600, ...valid() })
        .setProtectedHeader({ alg: 'RS256', kid: 'rogue', typ: 'at+jwt' })
        .sign(privateKey);
    },
  ],
  [
    'with alg none',
    async () => `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64({ iss: ISSUER, exp: now() + 600, ...valid() })}.`,
  ],
  [
    'HS256 keyed with the public key (key confusion)',
    async () => {
      const secret = new TextEncoder().encode(JSON.stringify(await idpPublicKey()));
      return new SignJWT({ iss: ISSUER, exp: now() + 600, ...valid() })
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
        .sign(secret);
    },
  ],
  ['truncated', async () => (await minted(valid())).slice(0, -20)],
  ['garbage', async () => 'not-a-token'],
];

// After many refusals from one IP, Dovecot's own auth penalty delays answers by up to 15 s.
const TIMEOUT_MS = 40_000;
type SignIn = (token: string, login: string) => Promise<string>;

/** A sign-in by one mechanism on one of the appliance's ports, through `authenticate`. */
function signInOn(authenticate: Authenticate, port: number, mechanism: 'XOAUTH2' | 'OAUTHBEARER'): SignIn {
  const encode = mechanism === 'XOAUTH2' ? xoauth2 : oauthbearer;
  return (token, login) =>
    authenticate(stack.mail.getHost(), stack.mail.getMappedPort(port), mechanism, encode(login, token), TIMEOUT_MS);
}

const PROTOCOLS: Array<[string, RegExp, RegExp, SignIn]> = [
  ['IMAP', /^a1 OK/, /^a1 NO /, signInOn(imapAuthenticate, 993, 'XOAUTH2')],
  ['POP3', /^\+OK/, /^-ERR /, signInOn(pop3Authenticate, 995, 'XOAUTH2')],
  ['SMTP submission', /^235 /, /^535 /, signInOn(smtpAuthenticate, 465, 'OAUTHBEARER')],
  ['ManageSieve', /^OK/, /^NO /, signInOn(manageSieveAuthenticate, 4190, 'OAUTHBEARER')],
];

describe('hostile tokens against the appliance', () => {
  for (const [protocol, accepted, refused, signIn] of PROTOCOLS) {
    const title = `${protocol}: the valid token signs in, each hostile one is refused with the protocol's own answer`;
    it(`${title}, and the helper answers after`, async () => {
      assert.match(await signIn(await minted(valid()), ALICE), accepted);
      const tokens = await Promise.all(CASES.map(([, make]) => make()));
      // In parallel: Dovecot's per-IP failure delay would make them take minutes one by one.
      const answers = await Promise.all(tokens.map((token, index) => signIn(token, CASES[index]?.[2] ?? ALICE)));
      answers.forEach((answer, index) => {
        assert.match(answer, refused, `${protocol}, a token ${CASES[index]?.[0]}: ${answer}`);
      });
      assert.match(await signIn(await minted(valid()), ALICE), accepted);
    });
  }

  it('cuts off a token of 64 KiB: Dovecot closes the connection past 8 KiB, Postfix cuts the line and refuses it', async () => {
    const huge = 'a'.repeat(64 * 1024);
    for (const [protocol, accepted, refused, signIn] of PROTOCOLS) {
      const started = Date.now();
      const answer = await signIn(huge, ALICE);
      if (protocol === 'SMTP submission') assert.match(answer, refused, `${protocol}: ${answer}`);
      else assert.equal(answer, CLOSED, protocol);
      assert.ok(Date.now() - started < TIMEOUT_MS / 2, `${protocol}: answered, not timed out`);
      assert.match(await signIn(await minted(valid()), ALICE), accepted, `${protocol} answers after`);
    }
    await assertLogged(stack.logs, /Login aborted: Authentication response too large/);
  });

  it('gives each refusal its reason in the log', () => {
    for (const reason of [
      'token expired',
      'claim nbf rejected',
      'claim iss rejected',
      'wrong audience',
      'is not one of OAUTH2_ALLOWED_CLIENTS',
      'an ID token \\(nonce claim\\)',
      'a \\\\"ID\\\\" token',
      'a \\\\"Refresh\\\\" token',
      'a \\\\"logout\\+jwt\\\\" token',
      'sender-constrained',
      'email claim not verified',
      'no sub claim',
      'white space, control or non-ASCII',
      'signed by a key the IdP does not publish',
      'signature algorithm not allowed',
    ]) {
      assert.match(stack.logs(), new RegExp(`"outcome":"deny","reason":"(?:[^"\\\\]|\\\\.)*${reason}`), reason);
    }
  });
});
