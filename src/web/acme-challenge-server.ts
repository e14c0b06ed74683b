import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify';
import { ACME_CHALLENGE_PORT } from '../config/acme-settings.ts';
import { fastifyApp } from './fastify-app.ts';

const CHALLENGE_PATH = '/.well-known/acme-challenge/:token';

/**
 * Port 80 with SSL_TYPE=acme: the CA's HTTP-01 challenges (RFC 8555 §8.3), and nothing else. Anything
 * else is a 404, not a redirect to https: the appliance has no web site at https://<host>/ (the
 * self-service page is on HTTPS_PORT, and only when on), so a redirect would lead nowhere.
 */
export function acmeChallengeApp(challenges: ReadonlyMap<string, string>, log: FastifyBaseLogger): FastifyInstance {
  const app = fastifyApp(log.child({ server: 'acme-challenges' }), { bodyLimit: 1024 });
  app.get<{ Params: { token: string } }>(CHALLENGE_PATH, async (request, reply) => {
    const keyAuthorization = challenges.get(request.params.token);
    if (keyAuthorization === undefined) return notFound(reply);
    return reply.type('application/octet-stream').send(keyAuthorization);
  });
  app.setNotFoundHandler(async (_request, reply) => notFound(reply));
  return app;
}

const notFound = (reply: FastifyReply) => reply.code(404).type('text/plain').send('Not Found\n');

export async function startAcmeChallengeServer(
  challenges: ReadonlyMap<string, string>,
  log: FastifyBaseLogger,
): Promise<{ close(): Promise<void> }> {
  const app = acmeChallengeApp(challenges, log);
  await app.listen({ host: '0.0.0.0', port: ACME_CHALLENGE_PORT });
  return { close: () => app.close() };
}
