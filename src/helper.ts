import Fastify, { LogController } from 'fastify';
import type { Settings } from './config/settings.ts';
import { dovecotRoutes } from './adapters/dovecot-http.ts';
import { postfixMaps, serveSocketmap } from './adapters/postfix-socketmap.ts';
import { AppPasswordStore } from './auth/app-passwords/app-password-store.ts';
import { Authority } from './auth/authority.ts';
import { openDirectory } from './auth/open-directory.ts';
import { SignInPolicies } from './auth/policy/sign-in-policy.ts';
import { JitProvisioner } from './auth/provisioning/jit-provisioner.ts';
import { ProvisionedAccounts } from './auth/provisioning/provisioned-accounts.ts';
import { TokenChecker } from './auth/tokens/token-checker.ts';
import { openStateDatabase } from './state/state-database.ts';
import { startSelfService } from './web/self-service-server.ts';

/** The lookup service Dovecot and Postfix delegate to: HTTP on loopback, socketmap on a unix socket. */
export async function startHelper(settings: Settings): Promise<{ close(): Promise<void> }> {
  const app = Fastify({
    logger: { level: settings.logLevel, redact: ['req.headers.authorization', 'req.body'] },
    // One log line per auth decision comes from the authority; request lines would only repeat it.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
  });
  const state = openStateDatabase(settings.paths.stateDatabase);
  const { directory, close: closeDirectory } = await openDirectory(settings, state, app.log);
  const tokens = settings.oauth2 === undefined ? undefined : new TokenChecker(settings.oauth2);
  const appPasswords = new AppPasswordStore(state);
  const policies = new SignInPolicies(state, settings.signInDefaults);
  const provisioner =
    settings.provisioning === undefined
      ? undefined
      : new JitProvisioner({ directory, accounts: new ProvisionedAccounts(state), policies, templates: settings.provisioning.templates, log: app.log });
  const authority = new Authority({ directory, tokens, appPasswords, policies, provisioner, log: app.log });
  await dovecotRoutes(app, authority);
  app.get('/health', async () => ({ status: 'ok' }));
  await app.listen({ host: '127.0.0.1', port: settings.helper.port });
  const maps = await serveSocketmap(settings.paths.socketmap, postfixMaps(directory), app.log);
  const selfService = settings.selfService === undefined ? undefined : await startSelfService(settings, authority, appPasswords, app.log);
  return {
    async close() {
      await selfService?.close();
      maps.close();
      await app.close();
      await closeDirectory();
      state.close();
    },
  };
}
