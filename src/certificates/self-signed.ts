import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { readUntrustedFile } from './untrusted-file.ts';

const run = promisify(execFile);

interface PairPaths {
  certPath: string;
  keyPath: string;
}

/**
 * Why the pair at these paths must be made anew, or undefined when it may stay: missing or unreadable,
 * a key that is not the certificate's, or a self-signed certificate for another name (the hostname
 * changed). A certificate a CA issued stays whatever it names: replacing it is its issuer's business.
 */
export function selfSignedReplacementReason(
  cert: Buffer | undefined,
  key: Buffer | undefined,
  hostname: string,
): string | undefined {
  if (cert === undefined || key === undefined) return 'there was none';
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
    if (!leaf.checkPrivateKey(createPrivateKey(key))) return 'the key there was not its own';
  } catch {
    return 'the one there did not parse';
  }
  const selfSigned = leaf.checkIssued(leaf) && leaf.verify(leaf.publicKey);
  if (selfSigned && leaf.checkHost(hostname) === undefined)
    return `the one there named ${leaf.subjectAltName ?? leaf.subject}`;
  return undefined;
}

/**
 * A self-signed certificate (EC P-256, ten years, for the hostname and localhost) at these paths, unless
 * a fitting one is there; owned by `owner` when given (the helper's, for SSL_TYPE=acme), the key 0600.
 */
export async function ensureSelfSignedCertificate(
  paths: PairPaths,
  hostname: string,
  owner?: { uid: number; gid: number },
): Promise<void> {
  // In the helper's directory (owner given), root reads with care and leaves the making to the helper's
  // user: a chown or chmod by root there would follow whatever link the helper put in its place.
  const read = owner === undefined ? readFile : readUntrustedFile;
  const [cert, key] = await Promise.all(
    [paths.certPath, paths.keyPath].map((path) => read(path).catch(() => undefined)),
  );
  const reason = selfSignedReplacementReason(cert, key, hostname);
  if (reason === undefined) return;
  const directory = dirname(paths.certPath);
  // Made aside and renamed into place: a start interrupted halfway leaves the old pair or the new one.
  const made = { certPath: `${paths.certPath}.new`, keyPath: `${paths.keyPath}.new` };
  try {
    if (owner === undefined) {
      await mkdir(directory, { recursive: true, mode: 0o700 });
      await generate(made, hostname);
      await chmod(made.keyPath, 0o600);
      await chmod(made.certPath, 0o644);
    } else {
      await run('mkdir', ['-p', '-m', '700', directory], owner);
      await generate(made, hostname, owner);
    }
    await rename(made.keyPath, paths.keyPath);
    await rename(made.certPath, paths.certPath);
  } finally {
    await Promise.all([made.certPath, made.keyPath].map((path) => rm(path, { force: true })));
  }
  console.log(`idmail: made a self-signed certificate for ${hostname} at ${paths.certPath} (${reason})`);
}

/** openssl makes the pair, as `owner` when given; it writes a private key 0600 by itself. */
async function generate(paths: PairPaths, hostname: string, owner?: { uid: number; gid: number }): Promise<void> {
  const names = [hostname, 'localhost'].map((name) => `DNS:${name}`).join(',');
  await run(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '3650',
      '-subj',
      `/CN=${hostname}`,
      '-addext',
      `subjectAltName=${names}`,
      '-keyout',
      paths.keyPath,
      '-out',
      paths.certPath,
    ],
    owner ?? {},
  );
}
