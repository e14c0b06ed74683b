import { Counter, Gauge, type Registry } from 'prom-client';
import type { RenewalObserver } from '../acme/certificate-renewer.ts';

/**
 * With SSL_TYPE=acme: orders at the CA by outcome, and when the certificate in place expires, so an
 * alert can fire on failures or on an expiry coming closer than the renewal should ever let it.
 */
export function certificateMetrics(registry: Registry): RenewalObserver {
  const renewals = new Counter({
    name: 'idmail_certificate_renewals_total',
    help: 'Certificate orders at the ACME CA (SSL_TYPE=acme) by outcome (success, failure)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const expiry = new Gauge({
    name: 'idmail_certificate_expiry_timestamp_seconds',
    help: 'When the certificate in place expires, in seconds since the epoch (SSL_TYPE=acme)',
    registers: [registry],
  });
  // Both outcomes from the start: a rate over a series that does not exist yet alerts on nothing.
  for (const outcome of ['success', 'failure'] as const) renewals.inc({ outcome }, 0);
  return {
    renewed: (outcome) => renewals.inc({ outcome }),
    expiresAt: (notAfter) => expiry.set(Math.floor(notAfter / 1000)),
  };
}
