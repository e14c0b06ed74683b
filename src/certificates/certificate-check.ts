import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { pemCertificates } from '../vocabulary/pem.ts';

/** A certificate chain and its key as read from the source (PEM), and what to call each in a problem. */
export interface SourcedPair {
  cert: Buffer;
  key: Buffer;
  /** `SSL_CERT_PATH: "/certs/fullchain.pem"`, `SSL_TYPE=letsencrypt: "/etc/letsencrypt/acme.json" (mail.example.org)`. */
  certLabel: string;
  keyLabel: string;
}

export interface CheckedPair {
  /** The server certificate: the chain's first. */
  leaf: X509Certificate;
  /** Allowed, but clients will complain: expired, not yet valid, not naming the hostname. */
  warnings: string[];
}

/**
 * What Dovecot, Postfix and Node's TLS would refuse at their start or reload, found before they are
 * given it: a chain that is no PEM certificate, a key that is no (unencrypted) PEM key, a key that is
 * not the certificate's. An expired certificate is only a warning: a stop would take mail down too.
 */
export function checkPair(pair: SourcedPair, hostname: string, now = new Date()): CheckedPair | string[] {
  const chain = certificatesIn(pair);
  const key = privateKeyIn(pair);
  if (typeof chain === 'string' || typeof key === 'string')
    return [chain, key].filter((problem): problem is string => typeof problem === 'string');
  const [leaf] = chain as [X509Certificate, ...X509Certificate[]];
  if (!leaf.checkPrivateKey(key)) return [mismatch(pair, chain, key)];
  return { leaf, warnings: warningsOf(pair.certLabel, leaf, hostname, now) };
}

function certificatesIn({ cert, certLabel }: SourcedPair): X509Certificate[] | string {
  const blocks = pemCertificates(cert.toString('utf8'));
  const notPem = `${certLabel} is not a PEM certificate; allowed: the chain, server certificate first, each -----BEGIN CERTIFICATE-----`;
  if (blocks.length === 0) return notPem;
  try {
    return blocks.map((block) => new X509Certificate(block));
  } catch (error) {
    return `${certLabel} holds a certificate that does not parse (${(error as Error).message}); allowed: PEM certificates`;
  }
}

function privateKeyIn({ key, keyLabel }: SourcedPair): KeyObject | string {
  const text = key.toString('utf8');
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text))
    return `${keyLabel} is encrypted with a passphrase; allowed: an unencrypted PEM key (openssl pkey -in key.pem -out plain.pem)`;
  try {
    return createPrivateKey({ key, format: 'pem' });
  } catch {
    return `${keyLabel} is not a PEM private key; allowed: a -----BEGIN PRIVATE KEY----- (or RSA/EC PRIVATE KEY) file`;
  }
}

function mismatch(pair: SourcedPair, chain: X509Certificate[], key: KeyObject): string {
  const later = chain.slice(1).some((certificate) => certificate.checkPrivateKey(key));
  if (later)
    return `${pair.certLabel} does not start with the server certificate (the key is of a later one); allowed: the chain, server certificate first`;
  return `${pair.keyLabel} is not the key of the certificate in ${pair.certLabel}; allowed: the private key the certificate was issued for`;
}

function warningsOf(certLabel: string, leaf: X509Certificate, hostname: string, now: Date): string[] {
  const warnings: string[] = [];
  if (leaf.validToDate < now)
    warnings.push(`${certLabel}: the certificate expired ${leaf.validToDate.toISOString()}; clients will refuse it`);
  if (leaf.validFromDate > now)
    warnings.push(`${certLabel}: the certificate is valid only from ${leaf.validFromDate.toISOString()}`);
  if (leaf.checkHost(hostname) === undefined)
    warnings.push(
      `${certLabel}: the certificate does not name the hostname ${hostname} (${namesOf(leaf)}); clients checking names will refuse it`,
    );
  return warnings;
}

/** The certificate's names as a person reads them: its subjectAltName, else its subject. */
const namesOf = (certificate: X509Certificate): string =>
  certificate.subjectAltName ?? certificate.subject.replaceAll('\n', ', ');

/** What the log says of an installed certificate: whom it names, who issued it, until when, which one. */
export function describeLeaf(leaf: X509Certificate): string {
  const issuer = /(?:^|\n)CN=([^\n]*)/.exec(leaf.issuer)?.[1] ?? leaf.issuer.replaceAll('\n', ', ');
  return `${namesOf(leaf)}, issued by ${issuer}, valid until ${leaf.validToDate.toISOString()}, sha256 ${leaf.fingerprint256}`;
}
