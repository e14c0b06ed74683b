import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AcmeFiles } from '../config/acme-settings.ts';
import { pemCertificates } from '../vocabulary/pem.ts';
import type { Validity } from './renewal-schedule.ts';

/** What the renewal decides on: the leaf certificate of a chain, and whether the key beside it is its own. */
export interface CertificateState extends Validity {
  serial: string;
  /** Its DNS names (subjectAltName). */
  names: string[];
  /** Issued by itself: the placeholder prepare made, never a CA's certificate. */
  selfIssued: boolean;
  keyMatches: boolean;
}

/** A certificate and its key as the CA's order gave them (PEM). */
export interface CertificatePair {
  chain: string;
  key: string;
}

/** Throws when the chain holds no certificate; a key that is no key (or another's) only reads as not matching. */
export function describeCertificate({ chain, key }: CertificatePair): CertificateState {
  const [leafPem] = pemCertificates(chain);
  if (leafPem === undefined) throw new Error('no PEM certificate in the chain');
  const leaf = new X509Certificate(leafPem);
  return {
    serial: leaf.serialNumber,
    names: dnsNames(leaf),
    notBefore: leaf.validFromDate.getTime(),
    notAfter: leaf.validToDate.getTime(),
    selfIssued: leaf.checkIssued(leaf),
    keyMatches: keyMatches(leaf, key),
  };
}

function dnsNames(certificate: X509Certificate): string[] {
  return (certificate.subjectAltName ?? '')
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice('DNS:'.length).toLowerCase());
}

function keyMatches(certificate: X509Certificate, key: string): boolean {
  try {
    return certificate.checkPrivateKey(createPrivateKey(key));
  } catch {
    return false;
  }
}

/** The certificate in place; undefined when there is none, or none that can be read as one. */
export async function readCertificateState(files: AcmeFiles): Promise<CertificateState | undefined> {
  try {
    const [chain, key] = await Promise.all([
      readFile(files.chain, 'utf8'),
      readFile(files.key, 'utf8').catch(() => ''),
    ]);
    return describeCertificate({ chain, key });
  } catch {
    return undefined;
  }
}

/**
 * Puts a new certificate in place, each file written aside in the same directory and renamed over the
 * old one (a reader sees the old file or the new, never half of one): the key first, then the chain,
 * whose change the certificate watcher acts on; then which ACME directory issued it.
 */
export async function writeCertificateFiles(files: AcmeFiles, pair: CertificatePair, issuedBy: string): Promise<void> {
  await replaceFile(files.key, pair.key, 0o600);
  await replaceFile(files.chain, pair.chain, 0o644);
  await replaceFile(files.issuedBy, `${issuedBy}\n`, 0o644);
  await syncDirectory(dirname(files.chain));
}

/** The ACME directory the certificate in place came from; undefined when not recorded (the placeholder). */
export async function readIssuedBy(files: AcmeFiles): Promise<string | undefined> {
  return (await readFile(files.issuedBy, 'utf8').catch(() => undefined))?.trim();
}

/** Writes a file atomically with this mode (set on the handle: the umask does not change it). */
export async function replaceFile(path: string, content: string, mode: number): Promise<void> {
  const aside = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(aside, 'wx', mode);
    try {
      await handle.writeFile(content);
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(aside, path);
  } catch (error) {
    await rm(aside, { force: true });
    throw error;
  }
}

/** The renames survive a power cut only once the directory itself is on disk. */
async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
