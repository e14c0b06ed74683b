import { isIP } from 'node:net';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Authority, Decision, SignInContext } from '../auth/authority.ts';
import type { Account } from '../auth/directory.ts';
import { mailboxLimit, type QuotaSettings } from '../config/quota-settings.ts';
import {
  DOVECOT_ROUTES,
  INTROSPECTION_FIELDS,
  type LuaRequest,
  type PassdbResult,
  PREFETCH_PREFIX,
  USERDB_FIELDS,
  type UserdbResult,
} from '../vocabulary/wire-contract.ts';

/**
 * Dovecot's delegated calls (routes and words of the wire contract), translated to the authority and back:
 *  - introspection: headers X-Dovecot-Auth-Protocol and -Remote. Answers are flat JSON; a refusal is
 *    {"active":false}; a temporary failure is HTTP 503
 *    (Dovecot then reports a temporary failure, never "invalid credentials").
 *  - passdb and userdb: from the Lua bridge (JSON), answered {result, fields}.
 */
const PASSDB_REFUSAL: Record<'unknown_user' | 'bad_credentials' | 'disabled', PassdbResult> = {
  unknown_user: 'user_unknown',
  bad_credentials: 'password_mismatch',
  disabled: 'user_disabled',
};

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
function passdbAnswer(
  decision: Decision,
  quotas: QuotaSettings | undefined,
): { result: PassdbResult; fields?: Record<string, string> } {
  if (decision.outcome === 'allow') {
    const prefetched = Object.entries(userdbFields(decision.account, quotas)).map(([name, value]) => [
      `${PREFETCH_PREFIX}${name}`,
      value,
    ]);
    return {
      result: 'ok',
      fields: { [USERDB_FIELDS.user]: decision.account.address, ...Object.fromEntries(prefetched) },
    };
  }
  if (decision.outcome === 'tempfail') return { result: 'tempfail' };
  return { result: PASSDB_REFUSAL[decision.why] };
}

function userdbAnswer(
  decision: Decision,
  quotas: QuotaSettings | undefined,
): { result: UserdbResult; fields?: Record<string, string> } {
  if (decision.outcome === 'tempfail') return { result: 'tempfail' };
  return decision.outcome === 'allow'
    ? { result: 'ok', fields: userdbFields(decision.account, quotas) }
    : { result: 'user_unknown' };
}

/**
 * The user's own settings for Dovecot: the canonical name, and with quotas on the mailbox size limit,
 * decided here alike for every account source (the quota-status service asks the same way as LMTP).
 */
function userdbFields(account: Account, quotas: QuotaSettings | undefined): Record<string, string> {
  const quota = mailboxLimit(account.quota, quotas);
  return { [USERDB_FIELDS.user]: account.address, ...(quota === undefined ? {} : { [USERDB_FIELDS.quota]: quota }) };
}

/**
 * A valid token's answer also carries the user's settings: the oauth2 `fields` of Dovecot's config
 * turn them into userdb fields, so the sign-in needs no second call. With quotas on the limit is
 * always present (the default, else "unlimited"), so the expansion never meets a missing field; with
 * quotas off Dovecot's config reads none.
 */
function introspectionAnswer(account: Account, quotas: QuotaSettings | undefined) {
  const quota = mailboxLimit(account.quota, quotas);
  return {
    [INTROSPECTION_FIELDS.active]: true,
    [INTROSPECTION_FIELDS.username]: account.address,
    ...(quota === undefined ? {} : { [INTROSPECTION_FIELDS.quota]: quota }),
  };
}

const jsonBodySchema = {
  body: { type: 'object', properties: { user: { type: 'string', maxLength: 512 } }, required: ['user'] },
};

/** What Dovecot's calls need of the authority. */
export type DovecotAuthority = Pick<Authority, 'signInWithToken' | 'signInWithPassword' | 'accountDecision'>;

/** `quotas` (Settings.quotas): the mailbox size limits the answers carry; undefined when quotas are off. */
export async function dovecotRoutes(
  app: FastifyInstance,
  authority: DovecotAuthority,
  quotas: QuotaSettings | undefined,
): Promise<void> {
  await app.register(formbody, { bodyLimit: 64 * 1024 });

  app.post<{ Body: { token?: unknown } }>(DOVECOT_ROUTES.introspect, async (request, reply) => {
    const token = text(request.body?.token) ?? '';
    const decision = await authority.signInWithToken(token, headerContext(request));
    const inactive = { [INTROSPECTION_FIELDS.active]: false };
    if (decision.outcome === 'tempfail') return reply.code(503).send(inactive);
    return decision.outcome === 'allow' ? introspectionAnswer(decision.account, quotas) : inactive;
  });

  app.post<{ Body: LuaRequest }>(DOVECOT_ROUTES.passwordVerify, { schema: jsonBodySchema }, async (request) => {
    const { user, password } = request.body;
    const decision = await authority.signInWithPassword(String(user), text(password) ?? '', luaContext(request.body));
    return passdbAnswer(decision, quotas);
  });

  app.post<{ Body: LuaRequest }>(DOVECOT_ROUTES.passdbLookup, { schema: jsonBodySchema }, async (request) =>
    passdbAnswer(await authority.accountDecision(String(request.body.user)), quotas),
  );

  app.post<{ Body: LuaRequest }>(DOVECOT_ROUTES.userdbLookup, { schema: jsonBodySchema }, async (request) =>
    userdbAnswer(await authority.accountDecision(String(request.body.user)), quotas),
  );
}
