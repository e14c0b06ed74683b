import type { AcmeFiles } from '../config/acme-settings.ts';
import type { Logger } from '../vocabulary/logger.ts';
import type { CertificateIssuer } from './acme-issuer.ts';
import {
  type CertificatePair,
  type CertificateState,
  describeCertificate,
  readCertificateState,
  readIssuedBy,
  writeCertificateFiles,
} from './certificate-files.ts';
import { delayUntilRenewal, retryDelay } from './renewal-schedule.ts';

/** Why a certificate is asked for now. */
export type RenewalReason = 'missing' | 'placeholder' | 'directory' | 'names' | 'key-mismatch' | 'due';

/** What the metrics learn: each order's outcome and when the certificate in place expires. */
export interface RenewalObserver {
  renewed(outcome: 'success' | 'failure'): void;
  expiresAt(notAfter: number): void;
}

export interface RenewerParts {
  /** ACME_DIRECTORY_URL: a certificate from another (Let's Encrypt's staging) is replaced. */
  directoryUrl: string;
  names: readonly string[];
  files: AcmeFiles;
  issuer: CertificateIssuer;
  observer: RenewalObserver;
  log: Logger;
  now?: () => number;
}

const sameNames = (certificate: readonly string[], wanted: readonly string[]) =>
  certificate.length === new Set(wanted).size && wanted.every((name) => certificate.includes(name));

/**
 * Whether to order a certificate now: prepare's placeholder (self-signed), one from another ACME
 * directory (staging, before production), other names than configured (a changed hostname or
 * ACME_DOMAINS), a key that is not its own, or less than a third of its life left.
 */
function renewalReason(
  current: CertificateState & { issuedBy: string | undefined },
  { names, directoryUrl }: RenewerParts,
  now: number,
): RenewalReason | undefined {
  if (current.selfIssued) return 'placeholder';
  if (current.issuedBy !== directoryUrl) return 'directory';
  if (!sameNames(current.names, names)) return 'names';
  if (!current.keyMatches) return 'key-mismatch';
  if (delayUntilRenewal(current, now) === 0) return 'due';
  return undefined;
}

const iso = (time: number) => new Date(time).toISOString();
const seconds = (ms: number) => Math.round(ms / 1000);

/**
 * Keeps the certificate in the ACME directory current: looks at it, orders a new one when it is due,
 * writes it in place, and sleeps until the next renewal point (at most 12 h) or, after a failure, for
 * the back-off. A failure leaves the files as they were.
 */
export class CertificateRenewer {
  private readonly parts: RenewerParts;
  private readonly now: () => number;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(parts: RenewerParts) {
    this.parts = parts;
    this.now = parts.now ?? Date.now;
  }

  /** The first look at once, then on its own schedule until stop(). */
  start(): void {
    void this.cycle();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** One look (and order, when due); the milliseconds until the next. Never throws. */
  async check(): Promise<number> {
    const current = await readCertificateState(this.parts.files);
    if (current === undefined) return this.renew('missing', undefined);
    this.parts.observer.expiresAt(current.notAfter);
    const issuedBy = await readIssuedBy(this.parts.files);
    const reason = renewalReason({ ...current, issuedBy }, this.parts, this.now());
    if (reason !== undefined) return this.renew(reason, current);
    this.failures = 0;
    return delayUntilRenewal(current, this.now());
  }

  private async renew(reason: RenewalReason, current: CertificateState | undefined): Promise<number> {
    try {
      const issued = await this.issue();
      this.failures = 0;
      this.parts.observer.renewed('success');
      this.parts.observer.expiresAt(issued.notAfter);
      this.parts.log.info(
        {
          event: 'certificate-issued',
          reason,
          names: issued.names,
          serial: issued.serial,
          notAfter: iso(issued.notAfter),
        },
        'certificate issued by the ACME CA and put in place',
      );
      return delayUntilRenewal(issued, this.now());
    } catch (error) {
      return this.failed(reason, current, error);
    }
  }

  /** Orders, checks what came back (the names asked for, its own key), then writes it. */
  private async issue(): Promise<CertificateState> {
    const pair: CertificatePair = await this.parts.issuer.issue(this.parts.names);
    const issued = describeCertificate(pair);
    if (!sameNames(issued.names, this.parts.names))
      throw new Error(`the CA's certificate names ${issued.names.join(', ')}, not ${this.parts.names.join(', ')}`);
    if (!issued.keyMatches) throw new Error("the CA's certificate is not for the key it was ordered with");
    await writeCertificateFiles(this.parts.files, pair, this.parts.directoryUrl);
    return issued;
  }

  private failed(reason: RenewalReason, current: CertificateState | undefined, error: unknown): number {
    this.failures += 1;
    const delay = retryDelay(this.failures, current, this.now());
    this.parts.observer.renewed('failure');
    this.parts.log.error(
      {
        event: 'certificate-renewal-failed',
        reason,
        failures: this.failures,
        retryInSeconds: seconds(delay),
        currentNotAfter: current === undefined ? null : iso(current.notAfter),
        err: error instanceof Error ? error.message : String(error),
      },
      'certificate not renewed; the one in place stays',
    );
    return delay;
  }

  private async cycle(): Promise<void> {
    const delay = await this.check();
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.cycle(), delay);
  }
}
