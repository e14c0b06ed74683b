import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { acmeChallengeApp } from '../../../src/web/acme-challenge-server.ts';

const TOKEN = 'LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0';
const KEY_AUTHORIZATION = `${TOKEN}.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI`;

describe('port 80 with SSL_TYPE=acme', () => {
  const challenges = new Map<string, string>();
  const app = acmeChallengeApp(challenges, pino({ level: 'silent' }));

  it("answers the CA's HTTP-01 challenge with the key authorization while it is pending", async () => {
    challenges.set(TOKEN, KEY_AUTHORIZATION);
    const response = await app.inject({ url: `/.well-known/acme-challenge/${TOKEN}` });
    assert.equal(response.statusCode, 200);
    assert.equal(response.body, KEY_AUTHORIZATION);
    assert.equal(response.headers['content-type'], 'application/octet-stream');
  });

  it('answers 404 for a token it does not hold, or no longer', async () => {
    assert.equal((await app.inject({ url: '/.well-known/acme-challenge/someone-elses' })).statusCode, 404);
    challenges.delete(TOKEN);
    assert.equal((await app.inject({ url: `/.well-known/acme-challenge/${TOKEN}` })).statusCode, 404);
  });

  it('serves nothing else: 404 everywhere, no redirect', async () => {
    challenges.set(TOKEN, KEY_AUTHORIZATION);
    for (const [method, url] of [
      ['GET', '/'],
      ['GET', '/metrics'],
      ['GET', '/.well-known/acme-challenge/'],
      ['POST', `/.well-known/acme-challenge/${TOKEN}`],
    ] as const) {
      const response = await app.inject({ method, url });
      assert.equal(response.statusCode, 404, `${method} ${url}`);
      assert.equal(response.headers.location, undefined);
      assert.doesNotMatch(response.body, new RegExp(TOKEN));
    }
  });
});
