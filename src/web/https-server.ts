import { readFile } from 'node:fs/promises';
import type { Server as HttpsNodeServer } from 'node:https';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { selfServiceRoutes } from '../adapters/self-service-http.ts';
import type { AppPasswordStore } from '../auth/app-passwords/app-password-store.ts';
import type { Authority } from '../auth/authority.ts';
import type { BruteForceGuard } from '../auth/brute-force/brute-force-guard.ts';
import type { ScimProvisioner } from '../auth/provisioning/scim/scim-provisioner.ts';
import { SharedSecretGate } from '../auth/shared-secret-gate.ts';
import type { Settings } from '../config/settings.ts';
import { SHIPPED_ROOT } from '../shipped-files.ts';
import { fastifyApp } from './fastify-app.ts';

const PAGE_ROOT = new URL('web/', SHIPPED_ROOT);
const PAGES: Record<string, string> = { '/': 'index.html', '/app.js': 'app.js' };
const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
};
// The page loads nothing from elsewhere and talks only to the IdP and this API.
const PAGE_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self' https: http:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

export interface HttpsParts {
  authority: Authority;
  appPasswords: AppPasswordStore;
  /** There when SCIM_TOKEN is set. */
  scim: ScimProvisioner | undefined;
  /** The brute-force defence, which SCIM's bearer token sits behind like every sign-in. */
  guard: BruteForceGuard | undefined;
  log: FastifyBaseLogger;
}

export interface HttpsServer {
  close(): Promise<void>;
  /** Reads the helper's copy of the certificate again (`idmail certificates sync` replaced it): new connections get it, open ones keep theirs. */
  reloadCertificate(): Promise<void>;
}

/** The helper's copy of the certificate and key, which `idmail prepare` (and `idmail certificates sync`) made. */
async function helperCopyOfCertificate(settings: Settings): Promise<{ key: Buffer; cert: Buffer }> {
  const { helperTls } = settings.paths;
  const [key, cert] = await Promise.all([readFile(`${helperTls}/key.pem`), readFile(`${helperTls}/cert.pem`)]);
  return { key, cert };
}

/** HTTPS on HTTPS_PORT with the mail certificate: the self-service API and its page, and SCIM, as configured. */
export async function startHttpsServer(settings: Settings, parts: HttpsParts): Promise<HttpsServer> {
  const { port } = settings.https as NonNullable<Settings['https']>;
  const tls = await helperCopyOfCertificate(settings);
  const app = fastifyApp(parts.log.child({ server: 'https' }), { bodyLimit: 16 * 1024, tls });
  app.addHook('onSend', async (_request, reply) => {
    reply
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('strict-transport-security', 'max-age=31536000');
  });
  if (settings.selfService !== undefined) await selfServicePage(app, settings, settings.selfService, parts);
  if (parts.scim !== undefined && settings.scim !== undefined) {
    const gate = new SharedSecretGate({
      authorization: `Bearer ${settings.scim.token}`,
      method: 'scim-token',
      guard: parts.guard,
      log: parts.log,
    });
    const { SCIM_PREFIX, scimRoutes } = await import('../adapters/scim-http.ts');
    await app.register(scimRoutes(parts.scim, gate), { prefix: SCIM_PREFIX });
  }
  await app.listen({ host: '0.0.0.0', port });
  const server = app.server as HttpsNodeServer;
  return {
    close: () => app.close(),
    // setSecureContext throws on a pair that does not fit: the context in use then stays.
    reloadCertificate: async () => server.setSecureContext(await helperCopyOfCertificate(settings)),
  };
}

async function selfServicePage(
  app: FastifyInstance,
  settings: Settings,
  selfService: NonNullable<Settings['selfService']>,
  parts: HttpsParts,
): Promise<void> {
  await selfServiceRoutes(app, parts.authority, parts.appPasswords);
  app.get('/config.json', async () => ({
    discoveryUrl: settings.oauth2?.discoveryUrl ?? null,
    clientId: selfService.webClientId ?? null,
    audience: settings.oauth2?.audiences[0] ?? null,
  }));
  for (const [path, file] of Object.entries(PAGES)) {
    const body = await readFile(new URL(file, PAGE_ROOT), 'utf8');
    const type = CONTENT_TYPES[file.split('.').at(-1) as string] as string;
    app.get(path, async (_request, reply) =>
      reply.type(type).header('content-security-policy', PAGE_POLICY).send(body),
    );
  }
}
