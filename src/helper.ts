import { readFile } from 'node:fs/promises';
import type { Server } from 'node:net';
import type { DatabaseSync } from 'node:sqlite';
import type { FastifyBaseLogger as Logger } from 'fastify';
import { dovecotRoutes } from './adapters/dovecot-http.ts';
import { rateLimitPolicy, servePostfixPolicy, timedPolicy } from './adapters/postfix-policy.ts';
import { type MapRouting, postfixMaps, serveSocketmap, timedMaps } from './adapters/postfix-socketmap.ts';
import { Authority } from './auth/authority.ts';
import { BruteForceGuard } from './auth/brute-force/brute-force-guard.ts';
import { type OpenDirectory, openDirectory } from './auth/open-directory.ts';
import { JitProvisioner } from './auth/provisioning/jit-provisioner.ts';
import type { ScimProvisioner } from './auth/provisioning/scim/scim-provisioner.ts';
import { SubmissionRateLimit } from './auth/rate-limit/submission-rate-limit.ts';
import { environmentFromJson } from './config/environment.ts';
import { loadSettings, type Settings } from './config/settings.ts';
import { Metrics } from './metrics/metrics.ts';
import { metricsRoute, startMetricsServer, timeRequests } from './metrics/metrics-http.ts';
import { Reloads } from './reloads.ts';
import { openStateDatabase } from './state/state-database.ts';
import { openStores, type StateStores } from './state/state-stores.ts';
import { fastifyApp, helperLog } from './web/fastify-app.ts';
import { startHttpsServer } from './web/https-server.ts';

/** The helper Dovecot and Postfix delegate to: HTTP on loopback, socketmap and policy on unix sockets. */
export async function startHelper(settings: Settings): Promise<{ close(): Promise<void>; reload(): Promise<void> }> {
  const app = fastifyApp(helperLog(settings.logLevel), { bodyLimit: 64 * 1024 });
  const state = openStateDatabase(settings.paths.stateDatabase);
  const stores = openStores(state, settings);
  const { appPasswords, policies, bindings, provisioned: accounts } = stores;
  const directories = await openDirectory(settings, stores, app.log);
  const { directory } = directories;
  // What the configuration does not use is not loaded (jose, undici, ldapts, the SCIM libraries): memory at rest.
  const tokens =
    settings.oauth2 === undefined
      ? undefined
      : new (await import('./auth/tokens/token-checker.ts')).TokenChecker(settings.oauth2);
  const { provisioning } = settings;
  const provisioner = provisioning?.jit
    ? new JitProvisioner({ directory, accounts, policies, templates: provisioning.templates, log: app.log })
    : undefined;
  const scim = await scimProvisioner(settings, state, stores, directories, app.log);
  const metrics = new Metrics();
  const { bruteForce, metricsPort } = settings;
  const guard = bruteForce === undefined ? undefined : new BruteForceGuard(bruteForce, app.log, metrics.guarded);
  const appPasswordSuspendAfterSeconds =
    settings.oauth2 === undefined ? undefined : settings.appPasswordSuspendAfterSeconds;
  const authority = new Authority({
    directory,
    tokens,
    appPasswords,
    policies,
    bindings,
    appPasswordSuspendAfterSeconds,
    provisioner,
    guard,
    observers: [metrics.decided],
    log: app.log,
  });
  timeRequests(app, metrics);
  await dovecotRoutes(app, authority, settings.quotas);
  metricsRoute(app, metrics);
  app.get('/health', async () => ({ status: 'ok' }));
  await app.listen({ host: '127.0.0.1', port: settings.helper.port });
  const routing = mapRouting(settings);
  const maps = await serveSocketmap(
    settings.paths.socketmap,
    timedMaps(postfixMaps(directory, routing), metrics),
    app.log,
  );
  const policy = await rateLimitServer(settings, metrics, app.log);
  const metricsServer = metricsPort === undefined ? undefined : await startMetricsServer(metricsPort, metrics, app.log);
  // acme-client is loaded only with SSL_TYPE=acme: memory at rest.
  const certificates =
    settings.acme === undefined
      ? undefined
      : await (await import('./acme/certificate-service.ts')).startCertificateService(
          settings.acme,
          metrics.registry,
          app.log,
        );
  const https =
    settings.https === undefined
      ? undefined
      : await startHttpsServer(settings, { authority, appPasswords, scim, guard, log: app.log });
  const reloads = new Reloads();
  if (https !== undefined) reloads.add('https certificate', https.reloadCertificate);
  reloads.add('relay map', async () => {
    routing.senderRelays = (await handedSettings(settings.paths.handedEnvironment)).relay?.senders;
  });
  return {
    reload: () => reloads.run(app.log),
    async close() {
      await certificates?.close();
      await metricsServer?.close();
      await https?.close();
      maps.close();
      policy?.close();
      await app.close();
      await directories.close();
      state.close();
    },
  };
}

/** The submission rate limit's policy socket, when a limit is on (counts kept in memory: a restart forgets them). */
async function rateLimitServer(settings: Settings, metrics: Metrics, log: Logger): Promise<Server | undefined> {
  const limits = settings.submissionRateLimit;
  if (limits === undefined) return undefined;
  const answer = rateLimitPolicy(new SubmissionRateLimit(limits), log, metrics.rateLimitRefused);
  return servePostfixPolicy(settings.paths.postfixPolicy, timedPolicy(answer, metrics), log);
}

/** The settings root handed over, read again: a config-folder sync rewrote them. */
async function handedSettings(path: string): Promise<Settings> {
  return loadSettings(environmentFromJson(await readFile(path, 'utf8')));
}

const mapRouting = (settings: Settings): MapRouting => ({
  postmaster: settings.postmaster,
  senderRelays: settings.relay?.senders,
});

/** SCIM provisioning, when SCIM_TOKEN is set (which turns provisioning on). */
async function scimProvisioner(
  settings: Settings,
  state: DatabaseSync,
  stores: StateStores,
  { directory, fixed }: OpenDirectory,
  log: Logger,
): Promise<ScimProvisioner | undefined> {
  const { provisioning } = settings;
  if (stores.scim === undefined || provisioning === undefined) return undefined;
  const { ScimProvisioner } = await import('./auth/provisioning/scim/scim-provisioner.ts');
  return new ScimProvisioner({
    state,
    store: stores.scim,
    accounts: stores.provisioned,
    directory,
    fixed,
    policies: stores.policies,
    templates: provisioning.templates,
    domains: settings.domains,
    purgeAfterSeconds: provisioning.purgeAfterSeconds,
    log,
  });
}
