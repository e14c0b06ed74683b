import Fastify, { LogController } from 'fastify';
import pino from 'pino';
import type { Settings } from './config/settings.ts';
import { dovecotRoutes } from './adapters/dovecot-http.ts';
import { postfixMaps, serveSocketmap, timedMaps } from './adapters/postfix-socketmap.ts';
import { AppPasswordStore } from './auth/app-passwords/app-password-store.ts';
import { Authority } from './auth/authority.ts';
import { BruteForceGuard } from './auth/brute-force/brute-force-guard.ts';
import { IdentityBindings } from './auth/identity/identity-bindings.ts';
import { openDirectory } from './auth/open-directory.ts';
import { SignInPolicies } from './auth/policy/sign-in-policy.ts';
import { JitProvisioner } from './auth/provisioning/jit-provisioner.ts';
import { ProvisionedAccounts } from './auth/provisioning/provisioned-accounts.ts';
import { TokenChecker } from './auth/tokens/token-checker.ts';
import { openStateDatabase } from './state/state-database.ts';
import { ScimProvisioner } from './auth/provisioning/scim/scim-provisioner.ts';
import { ScimStore } from './auth/provisioning/scim/scim-store.ts';
import { Metrics } from './metrics/metrics.ts';
import { metricsRoute, startMetricsServer, timeRequests } from './metrics/metrics-http.ts';
import { startHttpsServer } from './web/https-server.ts';

/** The lookup service Dovecot and Postfix delegate to: HTTP on loopback, socketmap on a unix socket. */
export async function startHelper(settings: Settings): Promise<{ close(): Promise<void> }> {
  const app = Fastify({
    // Written asynchronously (flushed at exit): a sign-in must not wait for the log reader.
    logger: { level: settings.logLevel, redact: ['req.headers.authorization', 'req.body'], stream: pino.destination({ dest: 1, sync: false }) },
    // One log line per auth decision comes from the authority; request lines would only repeat it.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
  });
  const state = openStateDatabase(settings.paths.stateDatabase);
  const { directory, fixed, close: closeDirectory } = await openDirectory(settings, state, app.log);
  const tokens = settings.oauth2 === undefined ? undefined : new TokenChecker(settings.oauth2);
  const appPasswords = new AppPasswordStore(state);
  const policies = new SignInPolicies(state, settings.signInDefaults);
  const accounts = new ProvisionedAccounts(state);
  const bindings = new IdentityBindings(state);
  const provisioning = settings.provisioning;
  const provisioner = provisioning?.jit ? new JitProvisioner({ directory, accounts, policies, templates: provisioning.templates, log: app.log }) : undefined;
  const scim =
    settings.scim === undefined || provisioning === undefined
      ? undefined
      : new ScimProvisioner({ store: new ScimStore(state), accounts, directory, fixed, policies, templates: provisioning.templates, domains: settings.domains, purgeAfterSeconds: provisioning.purgeAfterSeconds, log: app.log });
  const metrics = new Metrics();
  const guard = settings.bruteForce === undefined ? undefined : new BruteForceGuard(settings.bruteForce, app.log, metrics.guarded);
  const appPasswordSuspendAfterSeconds = settings.oauth2 === undefined ? undefined : settings.appPasswordSuspendAfterSeconds;
  const authority = new Authority({ directory, tokens, appPasswords, policies, bindings, appPasswordSuspendAfterSeconds, provisioner, guard, observers: [metrics.decided], log: app.log });
  timeRequests(app, metrics);
  await dovecotRoutes(app, authority);
  metricsRoute(app, metrics);
  app.get('/health', async () => ({ status: 'ok' }));
  await app.listen({ host: '127.0.0.1', port: settings.helper.port });
  const maps = await serveSocketmap(settings.paths.socketmap, timedMaps(postfixMaps(directory), metrics), app.log);
  const metricsServer = settings.metricsPort === undefined ? undefined : await startMetricsServer(settings.metricsPort, metrics, app.log);
  const https = settings.https === undefined ? undefined : await startHttpsServer(settings, { authority, appPasswords, scim, guard, log: app.log });
  return {
    async close() {
      await metricsServer?.close();
      await https?.close();
      maps.close();
      await app.close();
      await closeDirectory();
      state.close();
    },
  };
}
