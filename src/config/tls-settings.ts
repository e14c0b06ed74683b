import type { CleanedEnv } from 'envalid';
import { makeValidator } from 'envalid';
import { ACME_CHAIN_FILE, ACME_KEY_FILE } from './acme-settings.ts';
import { absolutePath, parseHostName } from './validators.ts';

/**
 * Where the certificate of the mail ports and the HTTPS listener comes from: docker-mailserver's
 * `SSL_TYPE` values (`manual`, `letsencrypt`, `self-signed`) and our own `acme`. Whatever the source,
 * Dovecot, Postfix and the helper read a copy that was checked first (a certificate that parses, a key
 * that is its own), installed by `idmail prepare` and again by `idmail certificates sync` whenever the
 * source files change; a source half-written is never what a daemon reads.
 */

const SSL_TYPES = ['manual', 'letsencrypt', 'self-signed', 'acme'] as const;
export type SslType = (typeof SSL_TYPES)[number];

/** SSL_TYPE=acme: the files the helper (user idmail) writes and renews; a self-signed placeholder until the first issuance. */
export const ACME_CERTIFICATE = { certPath: ACME_CHAIN_FILE, keyPath: ACME_KEY_FILE } as const;

/** SSL_TYPE=self-signed: made on the state volume at the first start, again when the hostname changes. */
export const SELF_SIGNED_CERTIFICATE = {
  certPath: '/var/mail-state/tls/cert.pem',
  keyPath: '/var/mail-state/tls/key.pem',
} as const;

/** SSL_TYPE=letsencrypt: certbot's layout, and Traefik's store, where docker-mailserver looks for them. */
const LETSENCRYPT = {
  liveDirectory: '/etc/letsencrypt/live',
  acmeJson: '/etc/letsencrypt/acme.json',
} as const;

/**
 * The installed copy. Not under /run/idmail: that directory is the helper's (it may rename what is in
 * it), and the daemons' key must be root's alone.
 */
const INSTALLED_DIRECTORY = '/run/idmail-tls';

/** Each source's files, named as a problem names them: the variable that gave the path, or the SSL_TYPE that fixed it. */
export interface CertificateFiles {
  kind: 'files';
  certPath: string;
  keyPath: string;
  certName: string;
  keyName: string;
}

/** certbot's `live/<name>/` folders and Traefik's acme.json, tried for each name in turn (docker-mailserver's order). */
export interface LetsencryptFiles {
  kind: 'letsencrypt';
  /** SSL_DOMAIN (as given, perhaps `*.example.org`), the hostname, a wildcard for its domain, its domain. */
  names: readonly string[];
  acmeJson: string;
  liveDirectory: string;
}

export type CertificateOrigin = CertificateFiles | LetsencryptFiles;

export interface TlsSettings {
  /** SSL_TYPE, or what its absence means: `manual` with SSL_CERT_PATH, else `self-signed`. */
  source: SslType;
  /** Where the certificate comes from: read, checked and watched for changes. */
  origin: CertificateOrigin;
  /** The installed copy's directory (root's, 0700): the files below, and the checksums of what was installed. */
  directory: string;
  /** The chain, leaf first (Dovecot, the helper's copy). */
  certPath: string;
  keyPath: string;
  /** The key followed by the chain in one file (Postfix): replaced in one step, never read half old, half new. */
  chainPath: string;
}

// docker-mailserver's `SSL_TYPE=` (empty, TLS off there) is unset here, as every empty value: mail is never served without TLS.
const sslType = makeValidator<SslType>((value) => {
  const word = value.trim().toLowerCase();
  if ((SSL_TYPES as readonly string[]).includes(word)) return word as SslType;
  throw new Error(`"${value}" is not one of the choices; allowed: ${SSL_TYPES.join(', ')}, or unset`);
});

/** A certificate's name as docker-mailserver's SSL_DOMAIN takes it: a host name, perhaps with a `*.` wildcard. */
const certificateName = makeValidator<string>((value) => {
  const name = value.trim().toLowerCase();
  return name.startsWith('*.') ? `*.${parseHostName(name.slice(2))}` : parseHostName(name);
});

export const tlsSpecs = {
  SSL_TYPE: sslType({
    default: undefined,
    whenUnset: '`manual` when `SSL_CERT_PATH` is set, else `self-signed`',
    desc:
      "Where the certificate comes from (docker-mailserver's values and `acme`): `manual` your files, " +
      "`letsencrypt` certbot's `/etc/letsencrypt/live/<name>/` or Traefik's `/etc/letsencrypt/acme.json`, " +
      '`self-signed` one made here, `acme` one the appliance gets itself; a changed certificate is taken up ' +
      'within 10 s, without a restart',
    example: 'letsencrypt',
    choices: SSL_TYPES,
  }),
  SSL_CERT_PATH: absolutePath({
    default: undefined,
    whenUnset: 'none; required with `SSL_TYPE=manual`',
    desc: 'Certificate chain (PEM, the server certificate first) of the mail ports and the HTTPS listener',
    example: '/certs/fullchain.pem',
  }),
  SSL_KEY_PATH: absolutePath({
    default: undefined,
    whenUnset: 'none; required with `SSL_TYPE=manual`',
    desc: 'Its private key (PEM, not encrypted)',
    example: '/certs/privkey.pem',
  }),
  SSL_DOMAIN: certificateName({
    default: undefined,
    whenUnset: 'the hostname, then its domain',
    desc:
      'With `SSL_TYPE=letsencrypt`: the name to look for first, in acme.json (`main` or `sans`, e.g. ' +
      '`*.example.org`) and as the folder under `/etc/letsencrypt/live/` (without `*.`)',
    example: '*.example.org',
  }),
};

type TlsEnv = CleanedEnv<typeof tlsSpecs>;

/** SSL_TYPE as given, or as the paths imply: the start before SSL_TYPE existed keeps its meaning. */
const sourceOf = (env: TlsEnv): SslType =>
  env.SSL_TYPE ?? (env.SSL_CERT_PATH !== undefined || env.SSL_KEY_PATH !== undefined ? 'manual' : 'self-signed');

export function tlsProblems(env: TlsEnv): string[] {
  const source = sourceOf(env);
  const given = (['SSL_CERT_PATH', 'SSL_KEY_PATH'] as const).filter((name) => env[name] !== undefined);
  if (source === 'manual') {
    if (given.length === 2) return [];
    if (env.SSL_TYPE === undefined)
      return [
        'SSL_CERT_PATH, SSL_KEY_PATH: only one is set; allowed: both (your certificate) or neither (self-signed)',
      ];
    const missing = ['SSL_CERT_PATH', 'SSL_KEY_PATH'].filter((name) => !(given as string[]).includes(name));
    return [
      `SSL_TYPE: manual needs ${missing.join(' and ')}; allowed: both set to PEM files in the container, or another SSL_TYPE`,
    ];
  }
  if (given.length === 0) return [];
  return [
    `${given.join(', ')}: read only with SSL_TYPE=manual, but SSL_TYPE is ${source}; allowed: SSL_TYPE=manual, or leave ${given.length > 1 ? 'them' : 'it'} unset`,
  ];
}

export function tlsWarnings(env: TlsEnv): string[] {
  if (env.SSL_DOMAIN === undefined || sourceOf(env) === 'letsencrypt') return [];
  return [`SSL_DOMAIN is read only with SSL_TYPE=letsencrypt; with SSL_TYPE=${sourceOf(env)} it is ignored`];
}

export function tlsSettings(env: TlsEnv, hostname: string): TlsSettings {
  const source = sourceOf(env);
  return {
    source,
    origin: originOf(source, env, hostname),
    directory: INSTALLED_DIRECTORY,
    certPath: `${INSTALLED_DIRECTORY}/fullchain.pem`,
    keyPath: `${INSTALLED_DIRECTORY}/privkey.pem`,
    chainPath: `${INSTALLED_DIRECTORY}/chain.pem`,
  };
}

function originOf(source: SslType, env: TlsEnv, hostname: string): CertificateOrigin {
  const named = (name: string, files: { certPath: string; keyPath: string }): CertificateFiles => ({
    kind: 'files',
    ...files,
    certName: name,
    keyName: name,
  });
  switch (source) {
    case 'manual':
      return {
        kind: 'files',
        certPath: env.SSL_CERT_PATH as string,
        keyPath: env.SSL_KEY_PATH as string,
        certName: 'SSL_CERT_PATH',
        keyName: 'SSL_KEY_PATH',
      };
    case 'acme':
      return named('SSL_TYPE=acme', ACME_CERTIFICATE);
    case 'self-signed':
      return named('SSL_TYPE=self-signed', SELF_SIGNED_CERTIFICATE);
    case 'letsencrypt':
      return { kind: 'letsencrypt', names: letsencryptNames(env.SSL_DOMAIN, hostname), ...LETSENCRYPT };
  }
}

/**
 * docker-mailserver's order: SSL_DOMAIN, the hostname, its domain (the hostname without its first label,
 * when it has more than two). Added: a wildcard for that domain, before the bare domain, which may not
 * name the hostname at all.
 */
export function letsencryptNames(sslDomain: string | undefined, hostname: string): string[] {
  const labels = hostname.split('.');
  const domain = labels.length > 2 ? labels.slice(1).join('.') : hostname;
  const wildcard = labels.length > 2 ? [`*.${domain}`] : [];
  return [...new Set([...(sslDomain === undefined ? [] : [sslDomain]), hostname, ...wildcard, domain])];
}
