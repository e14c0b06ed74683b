import { execFile } from 'node:child_process';
import { createHash, type X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { ConfigError, type Settings } from '../config/settings.ts';
import { ACME_CERTIFICATE, SELF_SIGNED_CERTIFICATE, type TlsSettings } from '../config/tls-settings.ts';
import { copyTlsForHelper } from '../startup/privileges.ts';
import { HELPER_USER, systemAccount } from '../system-accounts.ts';
import { checkPair, describeLeaf, type SourcedPair } from './certificate-check.ts';
import { fingerprintOf, pairFrom, snapshotFiles, watchedFiles } from './certificate-source.ts';
import { ensureSelfSignedCertificate } from './self-signed.ts';

const run = promisify(execFile);

/** The source as read now: its files' checksum, and the checked pair or why there is none. */
type SourceReading =
  | { fingerprint: string; problems: string[] }
  | { fingerprint: string; pair: SourcedPair; leaf: X509Certificate; warnings: string[] };

/** The checksums beside the installed copy: of the source files (the service compares it), of the pair the daemons run with. */
const sourceFingerprintPath = (tls: TlsSettings) => `${tls.directory}/source.sha256`;
const pairFingerprintPath = (tls: TlsSettings) => `${tls.directory}/installed.sha256`;

async function readSource(settings: Settings): Promise<SourceReading> {
  const watched = watchedFiles(settings.tls.origin);
  const snapshot = await snapshotFiles(watched);
  const fingerprint = fingerprintOf(snapshot, watched);
  const pair = pairFrom(settings.tls.origin, snapshot);
  if (typeof pair === 'string') return { fingerprint, problems: [pair] };
  const checked = checkPair(pair, settings.hostname);
  if (Array.isArray(checked)) return { fingerprint, problems: checked };
  return { fingerprint, pair, ...checked };
}

/**
 * `idmail config check`: what the start would refuse or warn about. A self-signed or ACME pair that is
 * missing or broken is no problem: the start makes a new one.
 */
export async function certificateReport(settings: Settings): Promise<{ problems: string[]; warnings: string[] }> {
  const reading = await readSource(settings);
  if ('problems' in reading) {
    const remade = settings.tls.source === 'self-signed' || settings.tls.source === 'acme';
    return { problems: remade ? [] : reading.problems, warnings: [] };
  }
  return { problems: [], warnings: reading.warnings };
}

/**
 * `idmail prepare`: the self-signed certificate (or ACME's placeholder) made where it is needed, the
 * source checked (a problem stops the start, as a bad variable does) and the pair installed for the daemons.
 */
export async function installCertificates(settings: Settings): Promise<void> {
  const { tls, hostname } = settings;
  if (tls.source === 'self-signed') await ensureSelfSignedCertificate(SELF_SIGNED_CERTIFICATE, hostname);
  // The helper renews it there, as its own user; until the first issuance this one lets the daemons start.
  if (tls.source === 'acme')
    await ensureSelfSignedCertificate(ACME_CERTIFICATE, hostname, await systemAccount(HELPER_USER));
  const reading = await readSource(settings);
  if ('problems' in reading) throw new ConfigError(reading.problems);
  for (const warning of reading.warnings) console.warn(`idmail: warning: ${warning}`);
  await install(settings, reading.pair);
  await recordInstalled(tls, reading.fingerprint, pairFingerprint(reading.pair));
  console.log(`idmail: certificate: ${describeLeaf(reading.leaf)}, from ${reading.pair.certLabel}`);
}

/** What `idmail certificates sync` did: `refused` leaves the pair in use, until the source changes again. */
export type SyncOutcome = 'installed' | 'unchanged' | 'refused';

/** Restarts nothing: each daemon takes the new pair for new connections and keeps its open ones. */
export type ReloadDaemons = (settings: Settings) => Promise<string[]>;

/**
 * `idmail certificates sync`, as root, when the source files changed: read and check them, install the
 * pair and have Dovecot, Postfix and the helper's HTTPS listener take it up. A pair that fails the
 * check is one log line; the installed one stays. A reload that fails throws: the next run tries again.
 */
export async function syncCertificates(
  settings: Settings,
  reload: ReloadDaemons = reloadDaemons,
): Promise<SyncOutcome> {
  const { tls } = settings;
  const reading = await readSource(settings);
  if ('problems' in reading) {
    console.error(`idmail: certificates: not installed, the one in use stays: ${reading.problems.join('; ')}`);
    return 'refused';
  }
  const pairHash = pairFingerprint(reading.pair);
  // Traefik rewrites acme.json for every router's certificate; only a new pair for this one is news.
  if ((await readFile(pairFingerprintPath(tls), 'utf8').catch(() => '')).trim() === pairHash) {
    await writeState(sourceFingerprintPath(tls), reading.fingerprint);
    return 'unchanged';
  }
  for (const warning of reading.warnings) console.warn(`idmail: warning: ${warning}`);
  await install(settings, reading.pair);
  const reloaded = await reload(settings);
  await recordInstalled(tls, reading.fingerprint, pairHash);
  console.log(
    `idmail: certificates: installed ${describeLeaf(reading.leaf)}, from ${reading.pair.certLabel}; reloaded ${reloaded.join(', ')}`,
  );
  return 'installed';
}

async function reloadDaemons(settings: Settings): Promise<string[]> {
  await run('doveadm', ['reload']);
  await run('postfix', ['reload']);
  if (settings.https === undefined) return ['dovecot', 'postfix'];
  // SIGHUP: the helper's listener swaps its secure context (src/reloads.ts); the helper keeps running.
  await run('s6-svc', ['-h', `${settings.paths.services}/helper`]);
  return ['dovecot', 'postfix', 'https'];
}

async function install(settings: Settings, pair: SourcedPair): Promise<void> {
  const { tls } = settings;
  await mkdir(tls.directory, { recursive: true, mode: 0o700 });
  await chmod(tls.directory, 0o700);
  await writeState(tls.keyPath, pair.key);
  await writeState(tls.certPath, pair.cert);
  await writeState(tls.chainPath, Buffer.concat([withNewline(pair.key), withNewline(pair.cert)]));
  if (settings.https !== undefined) await copyTlsForHelper(settings);
}

async function recordInstalled(tls: TlsSettings, sourceFingerprint: string, pairHash: string): Promise<void> {
  await writeState(pairFingerprintPath(tls), pairHash);
  await writeState(sourceFingerprintPath(tls), sourceFingerprint);
}

const pairFingerprint = (pair: SourcedPair): string =>
  createHash('sha256').update(pair.cert).update('\0').update(pair.key).digest('hex');

const withNewline = (pem: Buffer): Buffer => (pem.at(-1) === 0x0a ? pem : Buffer.concat([pem, Buffer.from('\n')]));

/** Root's alone (0600), written aside and renamed: a daemon starting now reads the old file or the new one. */
async function writeState(path: string, content: Buffer | string): Promise<void> {
  const aside = `${path}.tmp`;
  await writeFile(aside, typeof content === 'string' ? `${content}\n` : content, { mode: 0o600 });
  await chmod(aside, 0o600);
  await rename(aside, path);
}
