import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { type DovecotAuthority, dovecotRoutes } from '../../../src/adapters/dovecot-http.ts';
import { postfixMaps } from '../../../src/adapters/postfix-socketmap.ts';
import type { Decision } from '../../../src/auth/authority.ts';
import type { Directory } from '../../../src/auth/directory.ts';
import { loadSettings } from '../../../src/config/settings.ts';
import { renderAll } from '../../../src/render/render-all.ts';

/**
 * The daemons and the helper meet only on the wire: these tests read the rendered files as Dovecot and
 * Postfix would, and check that every name they use is one the adapters answer, and the other way round.
 */
const ENV = {
  OVERRIDE_HOSTNAME: 'mail.example.org',
  MAIL_DOMAINS: 'example.org',
  ENABLE_OAUTH2: '1',
  OAUTH2_ISSUER: 'https://id.example.org',
  OAUTH2_AUDIENCE: 'mail',
  OAUTH2_PROVISIONING: 'jit',
};
const ALLOWED: Decision = { outcome: 'allow', account: { address: 'alice@example.org', disabled: false, quota: '1G' } };

async function renderedFiles(env: Record<string, string> = ENV): Promise<Record<string, string>> {
  return Object.fromEntries(
    (await renderAll(loadSettings(env))).map((file) => [file.path.split('/').at(-1), file.content]),
  );
}

async function dovecotApp(decision: Decision) {
  const answer = async () => decision;
  const authority: DovecotAuthority = { signInWithToken: answer, signInWithPassword: answer, accountDecision: answer };
  const app = Fastify();
  await dovecotRoutes(app, authority, loadSettings(ENV).quotas);
  return app;
}

const all = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].map((match) => match[1] as string);

describe('the wire contract, as the daemons read it', () => {
  for (const [setting, env] of [
    ['', ENV],
    [' (with RELAY_HOST)', { ...ENV, RELAY_HOST: 'smtp.example.net' }],
  ] as const)
    it(`names in main.cf exactly the socketmaps the helper serves, the relay map only with a relay${setting}`, async () => {
      const { 'main.cf': mainCf = '', 'master.cf': masterCf = '' } = await renderedFiles(env);
      const named = new Set(all(mainCf + masterCf, /socketmap:unix:[^:\s]+:([^\s,]+)/g));
      const settings = loadSettings(env);
      const routing = { postmaster: settings.postmaster, senderRelays: settings.relay?.senders };
      // The relay map is served always (a reload may put a relay table in place), named only with a relay.
      const served = Object.keys(postfixMaps({} as Directory, routing)).filter(
        (name) => name !== 'relay' || routing.senderRelays !== undefined,
      );
      assert.deepEqual([...named].sort(), served.sort());
    });

  it("has Dovecot's oauth2 block read fields the introspection answer carries", async () => {
    const { 'dovecot.conf': conf = '' } = await renderedFiles();
    const app = await dovecotApp(ALLOWED);
    const route = /introspection_url = http:\/\/127\.0\.0\.1:\d+(\S+)/.exec(conf)?.[1];
    const answer = (await app.inject({ method: 'POST', url: route ?? '', payload: { token: 't' } })).json();
    const read = [...all(conf, /%\{oauth2:(\w+)\}/g), ...all(conf, /^\s*(?:username|active)_attribute = (\S+)$/gm)];
    assert.ok(read.length >= 4, conf);
    for (const field of read)
      assert.ok(
        Object.hasOwn(answer, field),
        `dovecot.conf reads "${field}", the answer has ${JSON.stringify(answer)}`,
      );
    const activeValue = /^\s*active_value = (\S+)$/m.exec(conf)?.[1];
    assert.equal(String(answer[/^\s*active_attribute = (\S+)$/m.exec(conf)?.[1] ?? '']), activeValue);
    assert.equal(answer[/^\s*username_attribute = (\S+)$/m.exec(conf)?.[1] ?? ''], 'alice@example.org');
  });

  it('has the Lua bridge call routes the helper answers, and know every result word it answers', async () => {
    const { 'idmail-auth.lua': lua = '' } = await renderedFiles();
    const words = (table: string) =>
      all(
        /local \w+ = \{\n([^}]*)\}/.exec(lua.slice(lua.indexOf(`local ${table} = {`)))?.[1] ?? '',
        /^\s*(\w+) = dovecot\.auth\./gm,
      );
    const passdbWords = new Set(words('PASSDB'));
    const userdbWords = new Set(words('USERDB'));
    const decisions: Decision[] = [
      ALLOWED,
      { outcome: 'tempfail', code: 'directory_unavailable', reason: 'r', source: 'directory' },
      { outcome: 'deny', why: 'unknown_user', code: 'unknown_user', reason: 'r' },
      { outcome: 'deny', why: 'bad_credentials', code: 'wrong_password', reason: 'r' },
      { outcome: 'deny', why: 'disabled', code: 'account_disabled', reason: 'r' },
    ];
    const routes = all(lua, /ask\("([^"]+)"/g);
    assert.equal(routes.length, 3);
    for (const decision of decisions) {
      const app = await dovecotApp(decision);
      for (const route of routes) {
        const reply = await app.inject({
          method: 'POST',
          url: route,
          payload: { user: 'alice@example.org', password: 'p' },
        });
        assert.equal(reply.statusCode, 200, `${route}: ${reply.body}`);
        const known = route.includes('userdb') ? userdbWords : passdbWords;
        assert.ok(
          known.has(reply.json().result),
          `${route} answered "${reply.json().result}", which the Lua bridge maps to nothing`,
        );
      }
    }
  });

  it("maps each result word onto one of the Dovecot Lua constants (Dovecot 2.4's src/auth/db-lua.c)", async () => {
    const { 'idmail-auth.lua': lua = '' } = await renderedFiles();
    const passdb = [
      'INTERNAL_FAILURE',
      'SCHEME_NOT_AVAILABLE',
      'USER_UNKNOWN',
      'USER_DISABLED',
      'PASS_EXPIRED',
      'NEXT',
      'PASSWORD_MISMATCH',
      'OK',
    ];
    const userdb = ['INTERNAL_FAILURE', 'USER_UNKNOWN', 'OK'];
    const dovecotConstants = new Set([
      ...passdb.map((name) => `PASSDB_RESULT_${name}`),
      ...userdb.map((name) => `USERDB_RESULT_${name}`),
    ]);
    const used = all(lua, /= dovecot\.auth\.(\w+),/g);
    assert.ok(used.length >= 8);
    for (const constant of used) assert.ok(dovecotConstants.has(constant), constant);
    assert.doesNotMatch(lua, /\{\{|\}\}/);
  });
});
