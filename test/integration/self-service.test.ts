import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { GenericContainer, type StartedTestContainer, Wait } from 'testcontainers';
import { ISSUER, USERS } from '../support/idp.ts';
import { BROWSER_IMAGE } from '../support/images.ts';
import { assertNoSecret } from '../support/secrets.ts';
import { curlInside, eventually, JWT_ENV, MAIL_HOST, type Stack, startStack } from '../support/stack.ts';

/** People manage their own app passwords with their IdP token: the API, and the page in a real browser. */
let stack: Stack;

before(async () => {
  stack = await startStack({ ...JWT_ENV, SELF_SERVICE_CLIENT_ID: 'idmail-self-service' });
});
after(async () => stack?.stop());

interface ApiAnswer {
  status: number;
  body: Record<string, unknown> | undefined;
}

/** Calls the self-service API from inside the appliance (its certificate is self-signed). */
async function api(method: string, path: string, token: string | undefined, body?: unknown): Promise<ApiAnswer> {
  const args = ['--insecure', '--request', method, '--write-out', '\n%{http_code}', `https://localhost:8443${path}`];
  if (token !== undefined) args.push('--header', `authorization: Bearer ${token}`);
  if (body !== undefined) args.push('--header', 'content-type: application/json', '--data', JSON.stringify(body));
  const { output } = await curlInside(stack.mail, args);
  const lines = output.trimEnd().split('\n');
  const status = Number(lines.pop());
  const text = lines.join('\n');
  return { status, body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) };
}

const imapLogin = (user: string, password: string) =>
  curlInside(stack.mail, [
    '--url',
    'imap://localhost:143',
    '--user',
    `${user}:${password}`,
    '--request',
    'LOGOUT',
  ]).then((result) => result.exitCode);

describe('self-service API', () => {
  let aliceToken: string;
  let bobToken: string;
  before(async () => {
    aliceToken = await stack.idp.token(USERS.alice, 'urn:idmail');
    bobToken = await stack.idp.token(USERS.bob, 'urn:idmail');
  });

  it('creates an app password for the token holder, which then signs in', async () => {
    const created = await api('POST', '/api/app-passwords', aliceToken, {
      name: 'K-9 Mail',
      protocols: ['imap'],
      expiresInDays: 30,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const password = created.body?.password as string;
    assert.match(password, /^idmail_/);
    assert.equal(await imapLogin(USERS.alice.address, password), 0);
    const listed = await api('GET', '/api/app-passwords', aliceToken);
    assert.equal(listed.body?.account, USERS.alice.address);
    assert.ok(!JSON.stringify(listed.body).includes(password.split('_')[2] as string), 'a secret was listed');
  });

  it("never shows or revokes another person's app passwords", async () => {
    const created = await api('POST', '/api/app-passwords', aliceToken, { name: 'mine' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = (created.body?.appPassword as { id: string } | undefined)?.id ?? '';
    assert.notEqual(id, '');
    const bobsList = await api('GET', '/api/app-passwords', bobToken);
    assert.ok(!JSON.stringify(bobsList.body).includes(id));
    assert.equal((await api('DELETE', `/api/app-passwords/${id}`, bobToken)).status, 404);
    assert.equal(await imapLogin(USERS.alice.address, created.body?.password as string), 0);
    assert.equal((await api('DELETE', `/api/app-passwords/${id}`, aliceToken)).status, 204);
    assert.equal(await imapLogin(USERS.alice.address, created.body?.password as string), 67);
  });

  it('refuses no token, a token for another audience, a forged one, and bad input', async () => {
    assert.equal((await api('GET', '/api/app-passwords', undefined)).status, 401);
    assert.equal((await api('GET', '/api/app-passwords', await stack.idp.token(USERS.alice, 'urn:other'))).status, 401);
    assert.equal((await api('GET', '/api/app-passwords', `${aliceToken.slice(0, -4)}AAAA`)).status, 401);
    assert.equal((await api('POST', '/api/app-passwords', aliceToken, { name: 'x', protocols: ['ftp'] })).status, 400);
    assert.equal((await api('POST', '/api/app-passwords', aliceToken, { name: '   ' })).status, 400);
    assert.equal((await api('POST', '/api/app-passwords', aliceToken, { name: 'x', extra: true })).status, 400);
    assertNoSecret(stack.logs(), aliceToken, 'a token');
  });
});

describe('self-service page in headless Chromium', () => {
  let browserContainer: StartedTestContainer;
  let browser: Browser;
  before(async () => {
    browserContainer = await new GenericContainer(BROWSER_IMAGE)
      .withNetwork(stack.network)
      .withEnvironment({ BROWSER_TRUSTED_ORIGINS: ISSUER })
      .withExposedPorts(9222)
      .withWaitStrategy(Wait.forHttp('/json/version', 9222))
      .start();
    browser = await chromium.connectOverCDP(
      `http://${browserContainer.getHost()}:${browserContainer.getMappedPort(9222)}`,
    );
  });
  after(async () => {
    await browser?.close().catch(() => undefined);
    await browserContainer?.stop({ timeout: 5 });
  });

  it('signs in at the IdP (code + PKCE), creates an app password that works, and revokes it', async () => {
    const context = browser.contexts()[0] ?? (await browser.newContext());
    const page = await context.newPage();
    await page.goto(`https://${MAIL_HOST}:8443/`);
    await page.click('#sign-in');
    await page.fill('input[name=login]', USERS.alice.address);
    await page.fill('input[name=password]', 'wrong-password');
    await page.click('button[type=submit]');
    await page.waitForSelector('text=Wrong email or password.');
    await page.fill('input[name=login]', USERS.alice.address);
    await page.fill('input[name=password]', USERS.alice.password);
    await page.click('button[type=submit]');
    await page.waitForSelector('#signed-in:not([hidden])', { timeout: 20_000 });
    assert.equal(await page.textContent('#account'), USERS.alice.address);

    await page.fill('#name', 'Thunderbird via the page');
    await page.click('#create button[type=submit]');
    await page.waitForSelector('#created:not([hidden])');
    const password = (await page.textContent('#new-password'))?.trim() ?? '';
    assert.match(password, /^idmail_[0-9a-f]{16}_[0-9a-f]{40}$/);
    assert.equal(await imapLogin(USERS.alice.address, password), 0);

    const row = page.locator('tr', { hasText: 'Thunderbird via the page' });
    await row.locator('button', { hasText: 'Revoke' }).click();
    await row.waitFor({ state: 'detached' });
    assert.equal(
      await eventually(
        () => imapLogin(USERS.alice.address, password),
        (code) => code === 67,
      ),
      67,
    );
    await page.close();
  });
});
