import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inboundCode, tokenSignIn } from '../support/mail-clients.ts';
import { assertLogged, curlInside, JWT_ENV, type Stack, startStack } from '../support/stack.ts';

/** OAUTH2_PROVISIONING=jit: the first valid token for an unknown address in a served domain makes the account. */
let stack: Stack;

before(async () => {
  stack = await startStack({
    ...JWT_ENV,
    OAUTH2_PROVISIONING: 'jit',
    PROVISIONING_TEMPLATES: 'default:1G:imap,smtp;staff:5G:imap,pop3,smtp,sieve',
  });
});
after(async () => stack?.stop());

const tokenFor = (email: string, template?: string) =>
  stack.idp.mint({ aud: 'urn:idmail', email, ...(template === undefined ? {} : { mail_template: template }) });

const signIn = (protocol: 'imap' | 'pop3', user: string, token: string) =>
  tokenSignIn(stack.mail, protocol, user, token);
const rcpt = (to: string) => inboundCode(stack.mail, to);

async function provisioned(): Promise<string[]> {
  const result = await stack.mail.exec(['idmail', 'provisioned', 'list']);
  assert.equal(result.exitCode, 0, result.output);
  return result.output.trim().split('\n').filter(Boolean);
}

describe('just-in-time provisioning', () => {
  it('creates the account at the first sign-in, after which it receives mail', async () => {
    assert.equal(await rcpt('dora@example.test'), 550);
    assert.equal(await signIn('imap', 'dora@example.test', await tokenFor('dora@example.test')), 0);
    assert.equal(await rcpt('dora@example.test'), 250);
    assert.match((await provisioned()).join('\n'), /^dora@example\.test\tjit\tdefault\t1G\tactive\t/m);
  });

  it('creates exactly one account under concurrent first sign-ins', async () => {
    const token = await tokenFor('erin@example.test', 'staff');
    const codes = await Promise.all(Array.from({ length: 8 }, () => signIn('imap', 'erin@example.test', token)));
    assert.deepEqual(codes, Array(8).fill(0));
    assert.equal((await provisioned()).filter((line) => line.startsWith('erin@example.test\t')).length, 1);
    assert.match(stack.logs(), /"event":"provisioned","address":"erin@example.test","template":"staff"/);
    assert.equal((stack.logs().match(/"event":"provisioned","address":"erin@example.test"/g) ?? []).length, 1);
  });

  it("gives the template's protocols and quota", async () => {
    assert.equal(await signIn('pop3', 'erin@example.test', await tokenFor('erin@example.test')), 0);
    assert.equal(await signIn('pop3', 'dora@example.test', await tokenFor('dora@example.test')), 67);
    const quota = await curlInside(stack.mail, [
      '--url',
      'imap://localhost:143',
      '--login-options',
      'AUTH=XOAUTH2',
      '--user',
      'erin@example.test',
      '--oauth2-bearer',
      await tokenFor('erin@example.test'),
      '--request',
      'GETQUOTAROOT INBOX',
    ]);
    assert.match(quota.output, /STORAGE \d+ 5242880/);
  });

  it('creates nothing for another domain, nor for the login a token for someone else is used with', async () => {
    assert.equal(await signIn('imap', 'mallory@elsewhere.example', await tokenFor('mallory@elsewhere.example')), 67);
    assert.equal(await signIn('imap', 'frank@example.test', await tokenFor('grace@example.test')), 67);
    const lines = (await provisioned()).join('\n');
    assert.doesNotMatch(lines, /mallory|frank/);
  });

  it('never makes a mailbox of an alias, a sub-address or a role address, whoever has a token for it', async () => {
    for (const address of [
      'team@example.test',
      'dora+news@example.test',
      'postmaster@example.test',
      'abuse@example.test',
    ]) {
      assert.equal(await signIn('imap', address, await tokenFor(address)), 67, address);
    }
    assert.doesNotMatch((await provisioned()).join('\n'), /team@|dora\+news@|postmaster@|abuse@/);
    await assertLogged(
      stack.logs,
      /"event":"provisioning-refused","address":"team@example\.test".*an alias or distribution list/,
    );
  });
});
