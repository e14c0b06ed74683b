import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ACME_CHAIN_FILE, ACME_KEY_FILE } from '../config/acme-settings.ts';
import type { CertificateFiles, CertificateOrigin, LetsencryptFiles } from '../config/tls-settings.ts';
import { certificateFromAcmeJson } from './acme-json.ts';
import type { SourcedPair } from './certificate-check.ts';
import { readUntrustedFile } from './untrusted-file.ts';

/**
 * The source's files as read at one moment: the pair is taken from these bytes, and the checksum the
 * certificates service compares is of these bytes, so what was checked is what the checksum stands for.
 * A file that cannot be read is its error code.
 */
export type FileSnapshot = ReadonlyMap<string, Buffer | string>;

/** Every file the certificate may come from, in a fixed order: the certificates service watches these. */
export function watchedFiles(origin: CertificateOrigin): string[] {
  if (origin.kind === 'files') return [origin.certPath, origin.keyPath];
  return [origin.acmeJson, ...liveFolders(origin).flatMap((folder) => Object.values(liveFiles(origin, folder)))];
}

/** ACME's files are the helper's: read with care (see readUntrustedFile); the others are root's or a mount's. */
const writtenByHelper = new Set<string>([ACME_CHAIN_FILE, ACME_KEY_FILE]);

export async function snapshotFiles(paths: readonly string[]): Promise<FileSnapshot> {
  const read = async (path: string): Promise<[string, Buffer | string]> => [
    path,
    await (writtenByHelper.has(path) ? readUntrustedFile(path) : readFile(path)).catch(
      (error: NodeJS.ErrnoException) => error.code ?? 'error',
    ),
  ];
  return new Map(await Promise.all(paths.map(read)));
}

/**
 * SHA-256 of the readable files' bytes one after the other, in hex: what the service's shell loop computes
 * with `cat -- FILES 2>/dev/null | sha256sum` (which skips a file it cannot read, as this does).
 */
export function fingerprintOf(snapshot: FileSnapshot, paths: readonly string[]): string {
  const hash = createHash('sha256');
  for (const path of paths) {
    const content = snapshot.get(path);
    if (Buffer.isBuffer(content)) hash.update(content);
  }
  return hash.digest('hex');
}

/** The pair the origin holds now, or the one problem that says why there is none. */
export function pairFrom(origin: CertificateOrigin, snapshot: FileSnapshot): SourcedPair | string {
  return origin.kind === 'files' ? filesPair(origin, snapshot) : letsencryptPair(origin, snapshot);
}

function filesPair(origin: CertificateFiles, snapshot: FileSnapshot): SourcedPair | string {
  const certLabel = `${origin.certName}: "${origin.certPath}"`;
  const keyLabel = `${origin.keyName}: "${origin.keyPath}"`;
  const cert = snapshot.get(origin.certPath);
  const key = snapshot.get(origin.keyPath);
  const unread = [
    [certLabel, cert],
    [keyLabel, key],
  ].filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  if (unread.length > 0)
    return unread.map(([label, code]) => `${label} cannot be read (${code}); allowed: a readable PEM file`).join('; ');
  return { cert: cert as Buffer, key: key as Buffer, certLabel, keyLabel };
}

/** docker-mailserver's order: Traefik's acme.json when there is one with a name, then certbot's folders. */
function letsencryptPair(origin: LetsencryptFiles, snapshot: FileSnapshot): SourcedPair | string {
  const json = snapshot.get(origin.acmeJson);
  let fromJson = `"${origin.acmeJson}" does not exist`;
  if (Buffer.isBuffer(json)) {
    const found = certificateFromAcmeJson(json.toString('utf8'), origin.names);
    if (typeof found !== 'string') {
      const label = `SSL_TYPE=letsencrypt: "${origin.acmeJson}" (${found.name}, resolver ${found.resolver})`;
      return { cert: found.cert, key: found.key, certLabel: label, keyLabel: label };
    }
    fromJson = `"${origin.acmeJson}" ${found}`;
  } else if (json !== 'ENOENT') {
    fromJson = `"${origin.acmeJson}" cannot be read (${json})`;
  }
  for (const folder of liveFolders(origin)) {
    const files = liveFiles(origin, folder);
    const chain = snapshot.get(files.chain);
    if (!Buffer.isBuffer(chain)) continue;
    const keyPath = [files.key, files.traefikKey].find((path) => Buffer.isBuffer(snapshot.get(path)));
    const certLabel = `SSL_TYPE=letsencrypt: "${files.chain}"`;
    if (keyPath === undefined)
      return `${certLabel} has no privkey.pem (nor key.pem) beside it; allowed: certbot's live folder as it made it`;
    return {
      cert: chain,
      key: snapshot.get(keyPath) as Buffer,
      certLabel,
      keyLabel: `SSL_TYPE=letsencrypt: "${keyPath}"`,
    };
  }
  return (
    `SSL_TYPE=letsencrypt: no certificate for ${origin.names.join(', ')}: ${fromJson}, and there is no ` +
    `${origin.liveDirectory}/<name>/fullchain.pem; allowed: certbot's /etc/letsencrypt mounted, or Traefik's ` +
    'acme.json at /etc/letsencrypt/acme.json, with a certificate for one of these names (SSL_DOMAIN adds one)'
  );
}

/** A certbot folder is named without the wildcard: `*.example.org` is in `live/example.org/`. */
const liveFolders = (origin: LetsencryptFiles): string[] => [
  ...new Set(origin.names.map((name) => name.replace(/^\*\./, ''))),
];

/** certbot's privkey.pem; key.pem is what docker-mailserver itself extracted from acme.json there. */
const liveFiles = (origin: LetsencryptFiles, folder: string) => ({
  chain: `${origin.liveDirectory}/${folder}/fullchain.pem`,
  key: `${origin.liveDirectory}/${folder}/privkey.pem`,
  traefikKey: `${origin.liveDirectory}/${folder}/key.pem`,
});
