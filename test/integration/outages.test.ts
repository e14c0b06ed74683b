import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLIENT, USERS } from '../support/idp.ts';
import { imapAuthenticate, plain, xoauth2 } from '../support/sasl.ts';
import {
  assertLogged,
  CAROL_PASSWORD,
  eventually,
  JWT_ENV,
  nodeProcessIds,
  type Stack,
  startStack,
} from '../support/stack.ts';

/** The IdP, its key set and the helper failing under a running appliance: temporary failures, never a wrong success. */
const ALICE = USERS.alice.address;
let stack: Stack;

// Opaque tokens are introspected, JWTs checked against the JWKS. A valid token's verdict is asked
// again after a second: the IdP-down path below is the revalidation failing, not the cache alone.
before(async () => {
  stack = await startStack({
    ...JWT_ENV,
    OAUTH2_CLIENT_ID: CLIENT.id,
    OAUTH2_CLIENT_SECRET: CLIENT.secret,
    OAUTH2_CACHE_REVALIDATE: '1',
  });
});
after(async () => stack?.stop());

// A frozen helper answers nothing: Dovecot gives up on the Lua call after 10 s.
const imaps = (mechanism: string, initial: string) =>
  imapAuthenticate(stack.mail.getHost(), stack.mail.getMappedPort(993), mechanism, initial, 30_000);
const withToken = (token: string) => imaps('XOAUTH2', xoauth2(ALICE, token));
const withCarolsPassword = () => imaps('PLAIN', plain('carol@example.test', CAROL_PASSWORD));
const jwtFor = (email: string) => stack.idp.mint({ aud: 'urn:idmail', email });
const TEMPORARY = /^a1 NO \[UNAVAILABLE\]/;
const OK = /^a1 OK/;
/** A refusal Dovecot actually sent (a hang or a closed connection is no answer). */
const REFUSED = /^a1 NO /;
/** Dovecot 2.4.1 answers a failed token check as failed authentication, temporary or not: the helper's log tells which. */
const tempfailLogged = (reason: RegExp) =>
  new RegExp(`"method":"token".*"outcome":"tempfail","reason":"${reason.source}`);

/** The helper's process id inside the appliance. */
async function helperPid(): Promise<string> {
  const [pid, ...others] = await nodeProcessIds(stack.mail, 'cli.js serve');
  assert.ok(
    pid !== undefined && others.length === 0,
    `one helper process expected, found ${[pid, ...others].join(', ')}`,
  );
  return pid;
}

describe('outages and faults', () => {
  it('JWKS serving garbage: no crash, tokens of known keys still sign in, a new key fails temporarily until the JWKS is back', async () => {
    assert.match(await withToken(await jwtFor(ALICE)), OK);
    const knownKey = await jwtFor(ALICE);
    await stack.idp.garbageJwks(true);
    try {
      await stack.idp.rotateKeys();
      const newKey = await jwtFor(ALICE);
      await new Promise((resolve) => setTimeout(resolve, 5_100)); // the helper refetches a JWKS at most every 5 s
      assert.match(await withToken(newKey), REFUSED);
      assert.match(stack.logs(), tempfailLogged(/IdP JWKS unavailable/));
      assert.match(await withToken(knownKey), OK);
      await stack.idp.garbageJwks(false);
      assert.match(
        await eventually(
          () => withToken(newKey),
          (answer) => OK.test(answer),
        ),
        OK,
      );
    } finally {
      await stack.idp.garbageJwks(false);
    }
  });

  it('helper frozen: Dovecot answers a temporary failure and the health check names the helper; helper killed: the supervisor restarts it and sign-ins work again', async () => {
    const pid = await helperPid();
    await stack.mail.exec(['kill', '-STOP', pid]);
    try {
      assert.match(await withCarolsPassword(), TEMPORARY);
      const health = await stack.mail.exec(['idmail', 'health']);
      assert.deepEqual([health.exitCode, health.output], [1, 'unhealthy: helper not answering\n']);
    } finally {
      await stack.mail.exec(['kill', '-KILL', pid]);
    }
    assert.match(await eventually(withCarolsPassword, (answer) => OK.test(answer)), OK);
    assert.equal((await stack.mail.exec(['idmail', 'health'])).exitCode, 0);
    assert.match(stack.logs(), /idmail: helper exited \(SIGKILL\); s6 restarts it/);
    assert.notEqual(await helperPid(), pid);
  });

  it('IdP unreachable: a token validated before still signs in, a new one fails temporarily (never succeeds)', async () => {
    const seen = await stack.idp.token(USERS.alice, 'urn:idmail', 'opaque');
    const unseen = await stack.idp.token(USERS.alice, 'urn:idmail', 'opaque');
    assert.match(await withToken(seen), OK);
    await stack.idpContainer.stop({ timeout: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // past OAUTH2_CACHE_REVALIDATE: the helper asks the IdP again
    assert.match(await withToken(seen), OK);
    await assertLogged(stack.logs, /"method":"token".*"cached":true,"stale":true.*"outcome":"allow"/);
    assert.match(await withToken(unseen), REFUSED);
    await assertLogged(stack.logs, tempfailLogged(/IdP unreachable/));
  });
});
