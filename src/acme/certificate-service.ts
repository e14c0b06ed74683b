import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import type { AcmeSettings } from '../config/acme-settings.ts';
import { certificateMetrics } from '../metrics/certificate-metrics.ts';
import { startAcmeChallengeServer } from '../web/acme-challenge-server.ts';
import { AcmeIssuer, type HttpChallenges } from './acme-issuer.ts';
import { CertificateRenewer } from './certificate-renewer.ts';

/**
 * SSL_TYPE=acme in the helper (loaded only then, with acme-client): port 80 for the CA's challenges,
 * then the renewal loop, which orders at once when prepare's placeholder is in place. The certificate
 * watcher picks up what it writes and reloads Dovecot, Postfix and the HTTPS listener.
 */
export async function startCertificateService(
  settings: AcmeSettings,
  registry: Registry,
  log: FastifyBaseLogger,
): Promise<{ close(): Promise<void> }> {
  const challenges: HttpChallenges = new Map();
  const server = await startAcmeChallengeServer(challenges, log);
  const renewer = new CertificateRenewer({
    directoryUrl: settings.directoryUrl,
    names: settings.names,
    files: settings.files,
    issuer: new AcmeIssuer(settings, challenges),
    observer: certificateMetrics(registry),
    log,
  });
  renewer.start();
  return {
    async close() {
      renewer.stop();
      await server.close();
    },
  };
}
