import Fastify, { LogController } from 'fastify';
import type { Settings } from './config/settings.ts';
import { dovecotRoutes } from './adapters/dovecot-http.ts';
import { postfixMaps, serveSocketmap } from './adapters/postfix-socketmap.ts';
import { AccountStore } from './auth/accounts/account-store.ts';
import { Authority } from './auth/authority.ts';
import { Directory } from './auth/directory.ts';
import { TokenChecker } from './auth/tokens/token-checker.ts';

/** The lookup service Dovecot and Postfix delegate to: HTTP on loopback, socketmap on a unix socket. */
export async function startHelper(settings: Settings): Promise<{ close(): Promise<void> }> {
  const app = Fastify({
    logger: { level: settings.logLevel, redact: ['req.headers.authorization', 'req.body'] },
    // One log line per auth decision comes from the authority; request lines would only repeat it.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
  });
  const accounts = new AccountStore(settings.accountsFile, app.log);
  const tokens = settings.oauth2 === undefined ? undefined : new TokenChecker(settings.oauth2);
  const authority = new Authority(accounts, tokens, app.log);
  await dovecotRoutes(app, authority);
  app.get('/health', async () => ({ status: 'ok' }));
  await accounts.current();
  await app.listen({ host: '127.0.0.1', port: settings.helper.port });
  const maps = await serveSocketmap(settings.paths.socketmap, postfixMaps(new Directory(accounts, settings.domains)), app.log);
  return {
    async close() {
      maps.close();
      await app.close();
    },
  };
}
