import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import type { Settings } from './config/settings.ts';
import { dovecotRoutes } from './adapters/dovecot-http.ts';
import { postfixMaps, serveSocketmap } from './adapters/postfix-socketmap.ts';
import { AccountStore } from './auth/accounts/account-store.ts';
import { FileDirectory } from './auth/accounts/file-directory.ts';
import { Authority } from './auth/authority.ts';
import type { Directory } from './auth/directory.ts';
import { LdapConnections } from './auth/ldap/ldap-connections.ts';
import { LdapDirectory } from './auth/ldap/ldap-directory.ts';
import { TokenChecker } from './auth/tokens/token-checker.ts';

interface OpenDirectory {
  directory: Directory;
  close(): Promise<void>;
}

/** The accounts file or LDAP, as ACCOUNT_PROVISIONER says. */
async function openDirectory(settings: Settings, log: FastifyBaseLogger): Promise<OpenDirectory> {
  if (settings.ldap !== undefined) {
    const connections = new LdapConnections(settings.ldap, log);
    return { directory: new LdapDirectory(settings.ldap, connections, settings.domains, log), close: () => connections.close() };
  }
  const accounts = new AccountStore(settings.accountsFile, log);
  await accounts.current();
  return { directory: new FileDirectory(accounts, settings.domains), close: async () => undefined };
}

/** The lookup service Dovecot and Postfix delegate to: HTTP on loopback, socketmap on a unix socket. */
export async function startHelper(settings: Settings): Promise<{ close(): Promise<void> }> {
  const app = Fastify({
    logger: { level: settings.logLevel, redact: ['req.headers.authorization', 'req.body'] },
    // One log line per auth decision comes from the authority; request lines would only repeat it.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
  });
  const { directory, close: closeDirectory } = await openDirectory(settings, app.log);
  const tokens = settings.oauth2 === undefined ? undefined : new TokenChecker(settings.oauth2);
  await dovecotRoutes(app, new Authority(directory, tokens, app.log));
  app.get('/health', async () => ({ status: 'ok' }));
  await app.listen({ host: '127.0.0.1', port: settings.helper.port });
  const maps = await serveSocketmap(settings.paths.socketmap, postfixMaps(directory), app.log);
  return {
    async close() {
      maps.close();
      await app.close();
      await closeDirectory();
    },
  };
}
