import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import { USERS } from '../support/idp.ts';
import { curlPasswordSignIn } from '../support/mail-clients.ts';
import { manageSieveAuthenticate, plain } from '../support/sasl.ts';
import { assertNoSecret } from '../support/secrets.ts';
import { CAROL_PASSWORD, curlInside, eventually, JWT_ENV, type Stack, startStack } from '../support/stack.ts';

/** App passwords and sign-in policies in the real appliance, made with the real CLI. */
let stack: Stack;

before(async () => {
  stack = await startStack(JWT_ENV);
});
after(async () => stack?.stop());

const LOGIN_DENIED = 67;

async function idmail(mail: StartedTestContainer, args: string[]): Promise<string> {
  const result = await mail.exec(['idmail', ...args]);
  assert.equal(result.exitCode, 0, result.output);
  return result.output;
}

/** Creates an app password with the CLI and returns it (the last line, shown once). */
async function createAppPassword(
  user: string,
  options: string[],
  mail = stack.mail,
): Promise<{ id: string; password: string }> {
  const output = await idmail(mail, ['app-password', 'create', user, ...options]);
  const password = output.trim().split('\n').at(-1) ?? '';
  assert.match(password, /^idmail_[0-9a-f]{16}_[0-9a-f]{40}$/);
  return { id: password.split('_')[1] as string, password };
}

const signIn = (protocol: 'imap' | 'pop3' | 'smtp', user: string, password: string, mail = stack.mail) =>
  curlPasswordSignIn(mail, protocol, user, password).then((result) => result.exitCode);

const sieve = (user: string, password: string) =>
  manageSieveAuthenticate(stack.mail.getHost(), stack.mail.getMappedPort(4190), 'PLAIN', plain(user, password));

describe('app passwords', () => {
  let alice: { id: string; password: string };
  before(async () => {
    // alice is a token-only account: an app password is how her desktop client gets in.
    alice = await createAppPassword(USERS.alice.address, ['--name', 'Thunderbird', '--protocols', 'imap,smtp']);
  });

  it('signs in on the protocols it was made for', async () => {
    assert.equal(await signIn('imap', USERS.alice.address, alice.password), 0);
    assert.equal(await signIn('smtp', USERS.alice.address, alice.password), 0);
  });

  it('is refused on the others', async () => {
    assert.equal(await signIn('pop3', USERS.alice.address, alice.password), LOGIN_DENIED);
    assert.match(await sieve(USERS.alice.address, alice.password), /^NO/);
  });

  it("is refused for another account's login", async () => {
    assert.equal(await signIn('imap', USERS.bob.address, alice.password), LOGIN_DENIED);
  });

  it('is listed with its name, protocols and last use, never the secret', async () => {
    const listed = await idmail(stack.mail, ['app-password', 'list', USERS.alice.address]);
    assert.match(
      listed,
      new RegExp(`${alice.id}  Thunderbird  imap,smtp  created .* last used \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} from `),
    );
    assert.ok(!listed.includes(alice.password.split('_')[2] as string));
    assertNoSecret(stack.logs(), alice.password, 'the app password');
  });

  it('stops working at once when revoked', async () => {
    const spare = await createAppPassword(USERS.alice.address, ['--name', 'spare']);
    assert.equal(await signIn('imap', USERS.alice.address, spare.password), 0);
    await idmail(stack.mail, ['app-password', 'revoke', USERS.alice.address, spare.id]);
    assert.equal(await signIn('imap', USERS.alice.address, spare.password), LOGIN_DENIED);
  });

  it('stops working when it expires', async () => {
    // Long enough to outlast Dovecot's penalty delay (up to 15 s after the refusals above).
    const soon = new Date(Date.now() + 20_000);
    const expiring = await createAppPassword(USERS.alice.address, ['--name', 'short', '--expires', soon.toISOString()]);
    assert.equal(await signIn('imap', USERS.alice.address, expiring.password), 0);
    await new Promise((resolve) => setTimeout(resolve, soon.getTime() - Date.now() + 500));
    assert.equal(await signIn('imap', USERS.alice.address, expiring.password), LOGIN_DENIED);
    assert.match(stack.logs(), /"reason":"app password expired"/);
  });

  it('is refused while the account is disabled', async () => {
    await idmail(stack.mail, ['account', 'disable', USERS.alice.address]);
    try {
      const refused = await eventually(
        () => signIn('imap', USERS.alice.address, alice.password),
        (code) => code === LOGIN_DENIED,
      );
      assert.equal(refused, LOGIN_DENIED);
    } finally {
      await idmail(stack.mail, ['account', 'enable', USERS.alice.address]);
    }
    assert.equal(
      await eventually(
        () => signIn('imap', USERS.alice.address, alice.password),
        (code) => code === 0,
      ),
      0,
    );
  });

  it('refuses to make one for an account that does not exist', async () => {
    const result = await stack.mail.exec(['idmail', 'app-password', 'create', 'nobody@example.test', '--name', 'x']);
    assert.equal(result.exitCode, 1);
    assert.match(result.output, /no account nobody@example\.test/);
  });

  it('survives a restart of the container, with policies', async () => {
    await idmail(stack.mail, ['policy', 'set', 'carol@example.test', '--protocols', 'smtp']);
    const runtime = await getContainerRuntimeClient();
    await runtime.container.restart(runtime.container.getById(stack.mail.getId()), { timeout: 10 });
    const back = await eventually(
      () => signIn('imap', USERS.alice.address, alice.password),
      (code) => code === 0,
      60_000,
    );
    assert.equal(back, 0);
    assert.equal(await signIn('imap', 'carol@example.test', CAROL_PASSWORD), LOGIN_DENIED);
    // Dovecot may answer a moment before Postfix's submission offers STARTTLS again (curl: 64).
    const submitted = await eventually(
      () => signIn('smtp', 'carol@example.test', CAROL_PASSWORD),
      (code) => code === 0,
      30_000,
    );
    assert.equal(submitted, 0);
    await idmail(stack.mail, ['policy', 'reset', 'carol@example.test']);
    assert.equal(await signIn('imap', 'carol@example.test', CAROL_PASSWORD), 0);
  });
});

describe('AUTH_METHODS=token,app-password (an IdP-only deployment)', () => {
  let mail: StartedTestContainer;
  before(async () => {
    mail = (await stack.startMail({ ...JWT_ENV, AUTH_METHODS: 'token,app-password' })).container;
  });

  it('refuses the local password, takes an app password and a token', async () => {
    assert.equal(await signIn('imap', 'carol@example.test', CAROL_PASSWORD, mail), LOGIN_DENIED);
    const { password } = await createAppPassword('carol@example.test', ['--name', 'phone'], mail);
    assert.equal(await signIn('imap', 'carol@example.test', password, mail), 0);
    const token = await stack.idp.token(USERS.alice, 'urn:idmail');
    const viaToken = await curlInside(mail, [
      '--url',
      'imap://localhost:143',
      '--login-options',
      'AUTH=XOAUTH2',
      '--user',
      USERS.alice.address,
      '--oauth2-bearer',
      token,
      '--request',
      'LOGOUT',
    ]);
    assert.equal(viaToken.exitCode, 0, viaToken.output);
  });
});

describe('an account deleted and made again', () => {
  it('starts clean: the old app passwords, policy and IdP identity are gone', async () => {
    await idmail(stack.mail, ['account', 'add', 'dora@example.test', '--no-password']);
    const { password } = await createAppPassword('dora@example.test', ['--name', 'old phone']);
    await idmail(stack.mail, ['policy', 'set', 'dora@example.test', '--protocols', 'imap']);
    assert.equal(await signIn('imap', 'dora@example.test', password), 0);
    const deleted = await idmail(stack.mail, ['account', 'del', 'dora@example.test']);
    assert.match(deleted, /1 app passwords revoked/);
    await idmail(stack.mail, ['account', 'add', 'dora@example.test', '--no-password']);
    assert.equal(
      await eventually(
        () => signIn('imap', 'dora@example.test', password),
        (code) => code === LOGIN_DENIED,
      ),
      LOGIN_DENIED,
    );
    assert.match(await idmail(stack.mail, ['app-password', 'list', 'dora@example.test']), /no app passwords/);
    assert.match(await idmail(stack.mail, ['policy', 'show', 'dora@example.test']), /protocols imap,pop3,smtp,sieve/);
  });
});
