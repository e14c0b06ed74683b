import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  type AppPassword,
  type AppPasswordStore,
  TooManyAppPasswords,
} from '../auth/app-passwords/app-password-store.ts';
import type { Authority } from '../auth/authority.ts';
import { SIGN_IN_PROTOCOLS, type SignInProtocol } from '../vocabulary/sign-in.ts';

/**
 * The self-service API, for a person managing their own app passwords with their IdP access token
 * (validated exactly as for IMAP: signature, issuer, audience, expiry, and the account's policy):
 *   GET    /api/app-passwords          their app passwords (never the secrets)
 *   POST   /api/app-passwords          {name, protocols?, expiresInDays?} → the new password, shown once
 *   DELETE /api/app-passwords/:id      revoke one of theirs
 */
interface CreateBody {
  name: string;
  protocols?: SignInProtocol[];
  expiresInDays?: number;
}

const createSchema = {
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 100, pattern: '\\S' },
      protocols: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...SIGN_IN_PROTOCOLS] } },
      expiresInDays: { type: 'integer', minimum: 1, maximum: 3650 },
    },
  },
};

function view(appPassword: AppPassword) {
  const { id, name, protocols, createdAt, expiresAt, lastUsedAt, lastUsedIp } = appPassword;
  return {
    id,
    name,
    protocols,
    createdAt,
    expiresAt: expiresAt ?? null,
    lastUsedAt: lastUsedAt ?? null,
    lastUsedIp: lastUsedIp ?? null,
  };
}

const bearerOf = (request: FastifyRequest) => /^Bearer ([\x21-\x7e]+)$/.exec(request.headers.authorization ?? '')?.[1];

export async function selfServiceRoutes(
  app: FastifyInstance,
  authority: Authority,
  appPasswords: AppPasswordStore,
): Promise<void> {
  /** The token's account, or an answer already sent (401 refused, 503 IdP or directory unreachable). */
  async function holder(request: FastifyRequest, reply: FastifyReply): Promise<string | undefined> {
    const token = bearerOf(request);
    const decision = token === undefined ? undefined : await authority.tokenHolder(token, { remoteIp: request.ip });
    if (decision?.outcome === 'allow') return decision.account.address;
    if (decision?.outcome === 'tempfail') {
      await reply.code(503).header('retry-after', '30').send({ error: 'temporarily_unavailable' });
      return undefined;
    }
    await reply
      .code(401)
      .header('www-authenticate', token === undefined ? 'Bearer' : 'Bearer error="invalid_token"')
      .send({ error: 'invalid_token' });
    return undefined;
  }

  app.get('/api/app-passwords', async (request, reply) => {
    const account = await holder(request, reply);
    if (account !== undefined) return { account, appPasswords: appPasswords.list(account).map(view) };
    return reply;
  });

  app.post<{ Body: CreateBody }>('/api/app-passwords', { schema: createSchema }, async (request, reply) => {
    const account = await holder(request, reply);
    if (account === undefined) return reply;
    const { name, protocols = [...SIGN_IN_PROTOCOLS], expiresInDays } = request.body;
    const expiresAt = expiresInDays === undefined ? undefined : new Date(Date.now() + expiresInDays * 86_400_000);
    try {
      const created = appPasswords.create(account, { name: name.trim(), protocols, expiresAt, madeBy: 'self-service' });
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ appPassword: view(created.appPassword), password: created.password });
    } catch (error) {
      if (error instanceof TooManyAppPasswords)
        return reply.code(409).send({ error: 'too_many', message: error.message });
      throw error;
    }
  });

  app.delete<{ Params: { id: string } }>('/api/app-passwords/:id', async (request, reply) => {
    const account = await holder(request, reply);
    if (account === undefined) return reply;
    return appPasswords.revoke(account, request.params.id)
      ? reply.code(204).send()
      : reply.code(404).send({ error: 'not_found' });
  });
}
