import { isIP } from 'node:net';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Authority, Decision, SignInContext } from '../auth/authority.ts';
import type { Account } from '../auth/directory.ts';

/**
 * Dovecot's delegated calls, translated to the authority and back:
 *  - POST /dovecot/introspect: Dovecot's oauth2 `introspection_mode = post` (form body token=…;
 *    headers X-Dovecot-Auth-Protocol and -Remote). Answers are flat JSON; a refusal is
 *    {"active":false}; a temporary failure is HTTP 503
 *    (Dovecot then reports a temporary failure, never "invalid credentials").
 *  - POST /dovecot/passdb/verify | passdb/lookup | userdb/lookup: from auth.lua (JSON).
 */
interface LuaRequest {
  user?: unknown;
  password?: unknown;
  protocol?: unknown;
  mechanism?: unknown;
  remote_ip?: unknown;
}

const PASSDB_RESULT = { unknown_user: 'user_unknown', bad_credentials: 'password_mismatch', disabled: 'user_disabled' } as const;

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

function luaContext(body: LuaRequest): SignInContext {
  return { protocol: text(body.protocol), remoteIp: text(body.remote_ip), mechanism: text(body.mechanism) };
}

/** Dovecot sends the client as address:port, an IPv6 address in brackets ([2001:db8::1]:143). */
function addressOf(endpoint: string | undefined): string | undefined {
  if (endpoint === undefined || isIP(endpoint) !== 0) return endpoint;
  const bracketed = /^\[([^\]]+)\]:\d+$/.exec(endpoint);
  return bracketed ? bracketed[1] : endpoint.replace(/:\d+$/, '');
}

function headerContext(request: FastifyRequest): SignInContext {
  return {
    protocol: text(request.headers['x-dovecot-auth-protocol']),
    remoteIp: addressOf(text(request.headers['x-dovecot-auth-remote'])),
  };
}

/**
 * A sign-in's answer carries the user's settings as userdb_* fields, so Dovecot's prefetch userdb
 * takes them instead of asking again after the login (one helper call less per sign-in).
 */
function passdbAnswer(decision: Decision) {
  if (decision.outcome === 'allow') {
    const prefetched = Object.entries(userdbFields(decision.account)).map(([name, value]) => [`userdb_${name}`, value]);
    return { result: 'ok', fields: { user: decision.account.address, ...Object.fromEntries(prefetched) } };
  }
  if (decision.outcome === 'tempfail') return { result: 'tempfail' };
  return { result: PASSDB_RESULT[decision.why] };
}

/** The user's own settings for Dovecot: the canonical name, and the quota when the directory has one. */
function userdbFields(account: Account): Record<string, string> {
  return { user: account.address, ...(account.quota === undefined ? {} : { quota_storage_size: account.quota }) };
}

/**
 * A valid token's answer also carries the user's settings: the oauth2 `fields` of Dovecot's config
 * turn them into userdb fields, so the sign-in needs no second call. Always present, so the
 * expansion never meets a missing field ("unlimited" is Dovecot's own default).
 */
function introspectionAnswer(account: Account) {
  return { active: true, username: account.address, quota_storage_size: account.quota ?? 'unlimited' };
}

const jsonBodySchema = { body: { type: 'object', properties: { user: { type: 'string', maxLength: 512 } }, required: ['user'] } };

export async function dovecotRoutes(app: FastifyInstance, authority: Authority): Promise<void> {
  await app.register(formbody, { bodyLimit: 64 * 1024 });

  app.post<{ Body: { token?: unknown } }>('/dovecot/introspect', async (request, reply) => {
    const token = text(request.body?.token) ?? '';
    const decision = await authority.signInWithToken(token, headerContext(request));
    if (decision.outcome === 'tempfail') return reply.code(503).send({ active: false });
    return decision.outcome === 'allow' ? introspectionAnswer(decision.account) : { active: false };
  });

  app.post<{ Body: LuaRequest }>('/dovecot/passdb/verify', { schema: jsonBodySchema }, async (request) => {
    const { user, password } = request.body;
    const decision = await authority.signInWithPassword(String(user), text(password) ?? '', luaContext(request.body));
    return passdbAnswer(decision);
  });

  app.post<{ Body: LuaRequest }>('/dovecot/passdb/lookup', { schema: jsonBodySchema }, async (request) =>
    passdbAnswer(await authority.accountDecision(String(request.body.user))),
  );

  app.post<{ Body: LuaRequest }>('/dovecot/userdb/lookup', { schema: jsonBodySchema }, async (request) => {
    const decision = await authority.accountDecision(String(request.body.user));
    if (decision.outcome === 'tempfail') return { result: 'tempfail' };
    return decision.outcome === 'allow' ? { result: 'ok', fields: userdbFields(decision.account) } : { result: 'user_unknown' };
  });
}
