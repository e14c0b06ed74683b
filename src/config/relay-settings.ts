import { isIPv4, isIPv6 } from 'node:net';
import { type CleanedEnv, makeValidator } from 'envalid';
import { parseAddress, parseDomain } from '../vocabulary/address.ts';
import { type RelayCredentials, type RelayRouting, relaySignIns } from './relay-sign-ins.ts';
import { parseHostName } from './validators.ts';

/**
 * Sending through a relay host (smarthost), with docker-mailserver's variables and meanings:
 * `DEFAULT_RELAY_HOST` is Postfix's `relayhost` (every outbound message); `RELAY_HOST` + `RELAY_PORT`
 * is its older, sender-dependent form (mail from senders in every served domain, nothing else), which
 * alone lets `RELAY_MAP` send a domain directly; `RELAY_USER` + `RELAY_PASSWORD` sign in to the one of them
 * that is set. `RELAY_MAP` holds the lines of docker-mailserver's postfix-relaymap.cf and `RELAY_CREDENTIALS`
 * those of its postfix-sasl-password.cf (both read from DMS's config folder when there; `__FILE` reads any).
 */

export interface RelaySettings {
  /** DEFAULT_RELAY_HOST: Postfix's relayhost, for every outbound message a sender entry does not route. */
  relayhost: string | undefined;
  /** The sender-dependent relays (RELAY_HOST, RELAY_MAP), answered by the helper; undefined when neither is set. */
  senders: SenderRelays | undefined;
  /**
   * Postfix's password table, from RELAY_USER and RELAY_PASSWORD (for DEFAULT_RELAY_HOST, else RELAY_HOST)
   * and RELAY_CREDENTIALS: keyed by relay, by sender only where a relay has several (relay-sign-ins.ts).
   */
  credentials: readonly RelayCredentials[];
  /** The relays that a password may be sent to, reached over TLS only. */
  encryptedRelays: readonly string[];
  /** Some credentials are keyed by sender (Postfix's smtp_sender_dependent_authentication). */
  senderDependentCredentials: boolean;
}

export interface SenderRelays {
  /** `[RELAY_HOST]:RELAY_PORT`: the relay of senders in every served domain; undefined: RELAY_MAP's entries only. */
  everyServedDomain: string | undefined;
  /** RELAY_MAP: a sender address or `@domain` → its relay, or null: sent directly. */
  entries: ReadonlyMap<string, string | null>;
}

const RELAY_PORT_DEFAULT = 25;

const HOST_FORMS = 'host, host:port, [host] or [host]:port (brackets: no MX lookup; an IP address needs them)';

function parsePort(text: string, what: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) throw new Error(`${what} "${text}" is not a port; allowed: 1 to 65535`);
  return port;
}

/** A host name or IP address (IPv4, IPv6 without a zone) as Postfix writes it between brackets. */
function bracketedHost(text: string): string {
  if (isIPv4(text) || (isIPv6(text) && !text.includes('%'))) return text.toLowerCase();
  return parseHostName(text);
}

/** A next hop as Postfix's relayhost takes it; returned in the one spelling the password and TLS maps are keyed by. */
function parseRelayDestination(value: string): string {
  const text = value.trim();
  const match = /^(?:\[([^\]]*)\]|([^[\]:]+))(?::([^:]*))?$/.exec(text);
  if (match === null) throw new Error(`"${value}" is not a relay host; allowed: ${HOST_FORMS}`);
  const [, bracketed, bare = '', port] = match;
  if (isIPv4(bare))
    throw new Error(
      `"${value}" names an IP address without brackets (Postfix would look up its MX); allowed: [${bare}]`,
    );
  const host = bracketed === undefined ? parseHostName(bare) : `[${bracketedHost(bracketed)}]`;
  return port === undefined ? host : `${host}:${parsePort(port, 'the port')}`;
}

const relayDestination = makeValidator<string>(parseRelayDestination);

/** docker-mailserver wraps RELAY_HOST in brackets itself and appends RELAY_PORT: a bare host name or address. */
const relayHostName = makeValidator<string>((value) => {
  const text = value.trim();
  if (/[[\]]/.test(text) || (/:/.test(text) && !isIPv6(text)))
    throw new Error(
      `"${value}" is more than a host name; allowed: a host name or IP address (the port goes in RELAY_PORT, a full ${HOST_FORMS} in DEFAULT_RELAY_HOST)`,
    );
  return bracketedHost(text);
});

const port = makeValidator<number>((value) => parsePort(value.trim(), 'the value'));

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is its purpose
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Postfix splits `user:password` at the first colon, and a table line at white space: neither may be in the name. */
export function parseRelayUser(value: string): string {
  if (!/^[^\s:]{1,256}$/u.test(value) || CONTROL.test(value))
    throw new Error('is not a user name; allowed: 1 to 256 characters without spaces, colons or control characters');
  return value;
}

/** One line of a Postfix table: no line break; white space around it would be cut off. The value is never shown. */
function parseRelayPassword(value: string): string {
  if (value.length < 1 || value.length > 512 || CONTROL.test(value) || value.trim() !== value)
    throw new Error(
      'is not a usable password; allowed: 1 to 512 characters, no line breaks or other control characters, no spaces at either end',
    );
  return value;
}

const relayUser = makeValidator<string>(parseRelayUser);
const relayPassword = makeValidator<string>(parseRelayPassword);

/** A sender key of postfix-relaymap.cf: `@domain` or a whole address. */
function parseSenderKey(key: string): string {
  return key.startsWith('@') ? `@${parseDomain(key.slice(1))}` : parseAddress(key);
}

/**
 * docker-mailserver's postfix-relaymap.cf: one `@domain [host]:port` per line (or `;`), `#` comments,
 * and `@domain` alone: that domain's mail goes out directly (with RELAY_HOST only).
 */
export function parseRelayMap(value: string): Map<string, string | null> {
  const entries = new Map<string, string | null>();
  for (const line of tableLines(value, /[\n;]/)) {
    const [key = '', relay, ...rest] = line.split(/\s+/);
    if (rest.length > 0) throw new Error(`"${line}" has more than a sender and a relay; allowed: @domain [host]:port`);
    const sender = parseSenderKey(key);
    if (entries.has(sender)) throw new Error(`names ${sender} twice; allowed: one relay per sender`);
    entries.set(sender, relay === undefined ? null : parseRelayDestination(relay));
  }
  return entries;
}

const relayMap = makeValidator<Map<string, string | null>>(parseRelayMap);

/** The lines of a table, without comments and blank lines. */
const tableLines = (value: string, separators: RegExp): string[] =>
  value
    .split(separators)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

/**
 * docker-mailserver's postfix-sasl-password.cf (what `setup relay add-auth` writes): `key user:password` per
 * line, the key a sender (`@domain`, an address) or a relay as Postfix names the next hop. No line is shown
 * in an error: it holds a password.
 */
export function parseRelayCredentials(value: string): RelayCredentials[] {
  const credentials: RelayCredentials[] = [];
  for (const [index, line] of tableLines(value, /\r?\n/).entries()) {
    const at = `line ${index + 1} (not counting comments)`;
    const match = /^(\S+)\s+([^:\s]*):(.*)$/.exec(line);
    if (match === null) throw new Error(`${at} is not "key user:password"; allowed: @domain user:password`);
    const [, rawKey = '', user = '', password = ''] = match;
    const key = rawKey.startsWith('@') || rawKey.includes('@') ? parseSenderKey(rawKey) : parseRelayDestination(rawKey);
    if (credentials.some((entry) => entry.key === key))
      throw new Error(`${at}: names ${key} twice; allowed: one sign-in per key`);
    try {
      credentials.push({ key, user: parseRelayUser(user), password: parseRelayPassword(password) });
    } catch (error) {
      throw new Error(`${at}: ${(error as Error).message}`);
    }
  }
  return credentials;
}

const relayCredentials = makeValidator<RelayCredentials[]>(parseRelayCredentials);

export const relaySpecs = {
  DEFAULT_RELAY_HOST: relayDestination({
    default: undefined,
    whenUnset: 'none: mail goes to each domain directly',
    desc:
      "Postfix's `relayhost`: every outbound message goes through it (`[…]`: no MX lookup), except a sender " +
      '`RELAY_MAP` routes elsewhere',
    example: '[smtp.example.com]:587',
  }),
  RELAY_HOST: relayHostName({
    default: undefined,
    whenUnset: 'none',
    desc:
      "docker-mailserver's older form: mail from senders in every served domain goes to `[RELAY_HOST]:RELAY_PORT`, " +
      'other mail (bounces included) directly; not together with `DEFAULT_RELAY_HOST`',
    example: 'smtp.example.com',
  }),
  RELAY_PORT: port({
    default: undefined,
    defaultText: String(RELAY_PORT_DEFAULT),
    desc: "`RELAY_HOST`'s port (1 to 65535); needs `RELAY_HOST`",
    example: '587',
  }),
  RELAY_USER: relayUser({
    default: undefined,
    whenUnset: 'no sign-in at the relay',
    desc:
      'The user name at the relay (`DEFAULT_RELAY_HOST`, else `RELAY_HOST`); set with `RELAY_PASSWORD`: mail to ' +
      'that relay then goes over TLS only',
    example: 'apikey',
  }),
  RELAY_PASSWORD: relayPassword({
    default: undefined,
    whenUnset: 'no sign-in at the relay',
    desc:
      'Its password, best read from a file (`RELAY_PASSWORD__FILE`); written to a root-only Postfix table, never ' +
      'to main.cf or a log',
  }),
  RELAY_MAP: relayMap({
    default: undefined,
    whenUnset: 'none',
    desc:
      "Relays by sender, as docker-mailserver's postfix-relaymap.cf (`RELAY_MAP__FILE` reads that file): " +
      '`@domain [host]:port` entries, one per line or separated by `;`; `@domain` alone sends that domain directly ' +
      '(with `RELAY_HOST` only); these relays get no sign-in',
    example: '@example.net [smtp.example.net]:587; @example.org',
  }),
  RELAY_CREDENTIALS: relayCredentials({
    default: undefined,
    whenUnset: 'none',
    desc:
      "Sign-ins at relays, as docker-mailserver's postfix-sasl-password.cf (read from its config folder when there; " +
      '`RELAY_CREDENTIALS__FILE` reads another): `key user:password` lines, the key a sender (`@domain`, an ' +
      'address) that `RELAY_MAP` or `DEFAULT_RELAY_HOST` sends through a relay, or a relay (`[host]:port`); ' +
      'mail to those relays then goes over TLS only',
    example: '@example.net apikey:secret',
  }),
};

type RelayEnv = CleanedEnv<typeof relaySpecs>;

/** Set together; for the relay every message goes to; opt-outs only where there is a default to opt out of. */
export function relayProblems(env: RelayEnv): string[] {
  const problems: string[] = [];
  if (env.DEFAULT_RELAY_HOST !== undefined && env.RELAY_HOST !== undefined)
    problems.push(
      'DEFAULT_RELAY_HOST, RELAY_HOST: both are set; allowed: one of them (RELAY_HOST takes precedence in docker-mailserver, which warns against both)',
    );
  // docker-mailserver's stock mailserver.env says RELAY_PORT=25 with no relay: its default, harmless.
  if (env.RELAY_PORT !== undefined && env.RELAY_PORT !== RELAY_PORT_DEFAULT && env.RELAY_HOST === undefined)
    problems.push(
      'RELAY_PORT: is set without RELAY_HOST; allowed: RELAY_HOST with it, or the port in DEFAULT_RELAY_HOST ([host]:port)',
    );
  if ((env.RELAY_USER === undefined) !== (env.RELAY_PASSWORD === undefined))
    problems.push('RELAY_USER, RELAY_PASSWORD: only one is set; allowed: both (sign in at the relay) or neither');
  else if (env.RELAY_USER !== undefined && defaultRelay(env) === undefined)
    problems.push(
      'RELAY_USER: is set without a relay to sign in to; allowed: with DEFAULT_RELAY_HOST or RELAY_HOST, or unset',
    );
  problems.push(...credentialProblems(env));
  const optOuts = [...(env.RELAY_MAP?.entries() ?? [])].filter(([, relay]) => relay === null).map(([key]) => key);
  if (optOuts.length > 0 && env.RELAY_HOST === undefined)
    problems.push(
      `RELAY_MAP: ${optOuts.join(', ')} would be sent directly, which only RELAY_HOST allows (DEFAULT_RELAY_HOST relays every message); allowed: a relay for each, or RELAY_HOST instead of DEFAULT_RELAY_HOST`,
    );
  return problems;
}

/** What the helper is handed in place of a relay password: it signs in nowhere, Postfix's table has them. */
const WITHHELD = 'withheld-from-the-helper';

/**
 * The environment without the relay passwords (RELAY_PASSWORD, RELAY_CREDENTIALS'), each replaced by one
 * placeholder so the settings read the same otherwise: for the unprivileged processes, which need none.
 */
export function withheldRelayPasswords(env: Readonly<Record<string, string>>): Record<string, string> {
  const withheld = { ...env };
  if (withheld.RELAY_PASSWORD !== undefined) withheld.RELAY_PASSWORD = WITHHELD;
  if (withheld.RELAY_CREDENTIALS !== undefined)
    withheld.RELAY_CREDENTIALS = parseRelayCredentials(withheld.RELAY_CREDENTIALS)
      .map(({ key, user }) => `${key} ${user}:${WITHHELD}`)
      .join('\n');
  return withheld;
}

function routingOf(env: RelayEnv): RelayRouting {
  return {
    relayhost: env.DEFAULT_RELAY_HOST,
    servedDomainsRelay: env.RELAY_HOST === undefined ? undefined : defaultRelay(env),
    map: env.RELAY_MAP ?? new Map(),
  };
}

/** RELAY_USER's sign-in at the relay it is for, and RELAY_CREDENTIALS'. */
function credentialsOf(env: RelayEnv): RelayCredentials[] {
  const relay = defaultRelay(env);
  return [
    ...(relay !== undefined && env.RELAY_USER !== undefined && env.RELAY_PASSWORD !== undefined
      ? [{ key: relay, user: env.RELAY_USER, password: env.RELAY_PASSWORD }]
      : []),
    ...(env.RELAY_CREDENTIALS ?? []),
  ];
}

function credentialProblems(env: RelayEnv): string[] {
  const problems = relaySignIns(routingOf(env), credentialsOf(env)).problems;
  const envRelay = env.RELAY_USER === undefined ? undefined : defaultRelay(env);
  if (envRelay !== undefined && env.RELAY_CREDENTIALS?.some(({ key }) => key === envRelay))
    problems.push(
      `RELAY_CREDENTIALS: ${envRelay} has a sign-in there and in RELAY_USER; allowed: one of them for that relay`,
    );
  return problems;
}

/** The relay the credentials are for: DEFAULT_RELAY_HOST, else `[RELAY_HOST]:RELAY_PORT` as docker-mailserver writes it. */
function defaultRelay(env: RelayEnv): string | undefined {
  if (env.DEFAULT_RELAY_HOST !== undefined) return env.DEFAULT_RELAY_HOST;
  if (env.RELAY_HOST === undefined) return undefined;
  return `[${env.RELAY_HOST}]:${env.RELAY_PORT ?? RELAY_PORT_DEFAULT}`;
}

export function relaySettings(env: RelayEnv): RelaySettings | undefined {
  const relay = defaultRelay(env);
  const everyServedDomain = env.RELAY_HOST === undefined ? undefined : relay;
  if (relay === undefined && env.RELAY_MAP === undefined) return undefined;
  const senders =
    everyServedDomain === undefined && env.RELAY_MAP === undefined
      ? undefined
      : { everyServedDomain, entries: env.RELAY_MAP ?? new Map() };
  const signIns = relaySignIns(routingOf(env), credentialsOf(env));
  return {
    relayhost: env.DEFAULT_RELAY_HOST,
    senders,
    credentials: signIns.table,
    encryptedRelays: signIns.encryptedRelays,
    senderDependentCredentials: signIns.senderDependent,
  };
}
