import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type CleanedEnv, makeValidator } from 'envalid';
import { pemCertificates } from '../vocabulary/pem.ts';
import { fullyQualifiedHostName } from './hostname.ts';
import { mailAddress } from './validators.ts';

/**
 * SSL_TYPE=acme: the helper gets the certificate from an ACME CA (Let's Encrypt by default), answers
 * its HTTP-01 challenges on port 80 and renews it. docker-mailserver has no ACME client of its own
 * (its `letsencrypt` reads what certbot or Traefik left), so these names are new; its `SSL_DOMAIN`
 * means something else there (which folder of a Traefik acme.json to read) and is not reused.
 */

/** Where the certificate lives with SSL_TYPE=acme: the helper's own directory on the state volume. */
const ACME_DIRECTORY = '/var/mail-state/idmail/acme';
export const ACME_CHAIN_FILE = `${ACME_DIRECTORY}/fullchain.pem`;
export const ACME_KEY_FILE = `${ACME_DIRECTORY}/privkey.pem`;
/** The ACME account's key: made at the first issuance and kept, so renewals use the same account. */
const ACME_ACCOUNT_KEY_FILE = `${ACME_DIRECTORY}/account-key.pem`;
/** The directory URL the certificate in place came from: a changed ACME_DIRECTORY_URL orders anew. */
const ACME_ISSUED_BY_FILE = `${ACME_DIRECTORY}/issued-by`;

const LETS_ENCRYPT = 'https://acme-v02.api.letsencrypt.org/directory';
/** HTTP-01 challenges come to port 80; RFC 8555 fixes it, no CA asks elsewhere. */
export const ACME_CHALLENGE_PORT = 80;

export interface AcmeFiles {
  /** The certificate chain (leaf first), as Dovecot, Postfix and the HTTPS listener read it. */
  chain: string;
  key: string;
  accountKey: string;
  issuedBy: string;
}

export interface AcmeSettings {
  directoryUrl: string;
  /** The account's contact, where the CA may send notices; none: no contact. */
  email: string | undefined;
  /** A CA (PEM) the ACME server's own TLS is verified with, besides the system's (a private or test CA). */
  caFile: string | undefined;
  /** The names on the certificate: the hostname first, then ACME_DOMAINS. */
  names: readonly string[];
  files: AcmeFiles;
}

/** RFC 8555 §6.1: ACME is spoken over HTTPS only; an http:// directory would let the network swap it. */
const httpsUrl = makeValidator<string>((value) => {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new Error(`"${value}" is not a URL; allowed: an https:// URL, e.g. ${LETS_ENCRYPT}`);
  }
  if (url.protocol !== 'https:') throw new Error(`"${value}" uses ${url.protocol}; allowed: https:// (RFC 8555)`);
  if (url.username !== '' || url.password !== '')
    // Not echoed: the password would land in the log.
    throw new Error('carries a user or password; allowed: an https:// URL without them');
  return url.href;
});

/** A name a public CA can validate over HTTP-01: fully qualified as the hostname must be, no wildcard (that needs DNS-01). */
const parseCertificateName = (value: string): string => fullyQualifiedHostName({})._parse(value);

const hostNameList = makeValidator<string[]>((value) => {
  const names = value.split(/[\s,]+/).filter((item) => item !== '');
  if (names.length === 0) throw new Error('is empty; allowed: one or more host names, comma-separated');
  return [...new Set(names.map(parseCertificateName))];
});

/** A readable PEM file with at least one certificate: a wrong file stops the start, not the first renewal. */
const caBundle = makeValidator<string>((value) => {
  const path = value.trim();
  if (!path.startsWith('/')) throw new Error(`"${value}" is not an absolute path; allowed: a path starting with /`);
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(
      `cannot read "${path}" (${(error as NodeJS.ErrnoException).code ?? 'error'}); allowed: a readable file`,
    );
  }
  const [first] = pemCertificates(pem);
  try {
    if (first === undefined) throw new Error('no certificate');
    new X509Certificate(first);
  } catch {
    throw new Error(`"${path}" holds no PEM certificate; allowed: a CA certificate (PEM), e.g. the ACME server's`);
  }
  return path;
});

export const acmeSpecs = {
  ACME_DIRECTORY_URL: httpsUrl({
    default: undefined,
    whenUnset: `Let's Encrypt: \`${LETS_ENCRYPT}\``,
    desc: "The ACME CA's directory (with `SSL_TYPE=acme`); try Let's Encrypt's staging directory first",
    example: 'https://acme-staging-v02.api.letsencrypt.org/directory',
  }),
  ACME_EMAIL: mailAddress({
    default: undefined,
    whenUnset: 'no contact',
    desc: "The ACME account's contact address, where the CA may send notices (with `SSL_TYPE=acme`)",
    example: 'postmaster@example.org',
  }),
  ACME_CA_FILE: caBundle({
    default: undefined,
    whenUnset: 'system CAs',
    desc: "A CA (PEM) the ACME server's own HTTPS is verified with, besides the system's (a private CA)",
    example: '/etc/idmail/acme-ca.pem',
  }),
  ACME_DOMAINS: hostNameList({
    default: undefined,
    whenUnset: 'the hostname alone',
    desc:
      'More names on the certificate besides the hostname, comma-separated; each must reach this container on ' +
      'port 80 (with `SSL_TYPE=acme`)',
    example: 'imap.example.org,smtp.example.org',
  }),
};

type AcmeEnv = CleanedEnv<typeof acmeSpecs>;

/** What the ACME checks read besides their own variables (SSL_TYPE is the TLS settings'). */
interface AcmeContext {
  SSL_TYPE?: string | undefined;
  HTTPS_PORT: number;
  METRICS_PORT?: number | undefined;
}

const acmeOn = (env: AcmeContext): boolean => env.SSL_TYPE === 'acme';

export function acmeProblems(env: AcmeEnv & AcmeContext): string[] {
  if (!acmeOn(env)) {
    return (Object.keys(acmeSpecs) as (keyof AcmeEnv)[])
      .filter((name) => env[name] !== undefined)
      .map((name) => `${name}: is set but SSL_TYPE is not acme; allowed: SSL_TYPE=acme, or leave ${name} unset`);
  }
  // The hostname itself is checked as every hostname is: fully qualified (a CA validates nothing else).
  return (['HTTPS_PORT', 'METRICS_PORT'] as const)
    .filter((name) => env[name] === ACME_CHALLENGE_PORT)
    .map((name) => `${name}: "80" is where SSL_TYPE=acme answers the CA's challenges; allowed: another port`);
}

export function acmeSettings(env: AcmeEnv & AcmeContext, hostname: string): AcmeSettings | undefined {
  if (!acmeOn(env)) return undefined;
  return {
    directoryUrl: env.ACME_DIRECTORY_URL ?? LETS_ENCRYPT,
    email: env.ACME_EMAIL,
    caFile: env.ACME_CA_FILE,
    names: [...new Set([hostname, ...(env.ACME_DOMAINS ?? [])])],
    files: {
      chain: ACME_CHAIN_FILE,
      key: ACME_KEY_FILE,
      accountKey: ACME_ACCOUNT_KEY_FILE,
      issuedBy: ACME_ISSUED_BY_FILE,
    },
  };
}
