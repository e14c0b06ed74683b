import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { Metrics } from '../../../src/metrics/metrics.ts';
import { metricsRoute } from '../../../src/metrics/metrics-http.ts';

const account = { address: 'alice@example.org', disabled: false };

describe('metrics', () => {
  it('counts sign-ins by method, protocol and outcome, cache hits, upstream failures and brute-force actions, without names or IPs', async () => {
    const metrics = new Metrics();
    const context = { protocol: 'imap', remoteIp: '203.0.113.9' };
    metrics.decided({ method: 'token', context, decision: { outcome: 'allow', account }, cached: true });
    metrics.decided({ method: 'token', context, decision: { outcome: 'allow', account }, cached: false });
    const wrongPassword = {
      outcome: 'deny',
      why: 'bad_credentials',
      code: 'wrong_password',
      reason: 'wrong password',
    } as const;
    metrics.decided({ method: 'password', context: { protocol: 'managesieve' }, decision: wrongPassword });
    const idpDown = { outcome: 'tempfail', code: 'idp_unavailable', reason: 'IdP unreachable', source: 'idp' } as const;
    metrics.decided({ method: 'token', context, decision: idpDown });
    metrics.guarded({ action: 'ban', kind: 'ip' });
    await metrics.timed('postfix-mailbox', async () => undefined);
    const app = Fastify();
    metricsRoute(app, metrics);
    const response = await app.inject({ url: '/metrics' });
    assert.match(response.headers['content-type'] as string, /^text\/plain/);
    const text = response.body;
    assert.match(text, /idmail_sign_ins_total\{method="token",protocol="imap",outcome="allow"\} 2/);
    assert.match(text, /idmail_sign_ins_total\{method="password",protocol="sieve",outcome="deny"\} 1/);
    assert.match(text, /idmail_token_cache_total\{result="hit"\} 1/);
    assert.match(text, /idmail_token_cache_total\{result="miss"\} 1/);
    assert.match(text, /idmail_upstream_failures_total\{upstream="idp"\} 1/);
    assert.match(text, /idmail_brute_force_total\{action="ban",kind="ip"\} 1/);
    assert.match(text, /idmail_helper_request_seconds_count\{call="postfix-mailbox"\} 1/);
    assert.match(text, /idmail_helper_process_resident_memory_bytes/);
    assert.doesNotMatch(text, /alice|203\.0\.113/);
  });
});
