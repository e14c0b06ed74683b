import { accessSync, constants } from 'node:fs';
import { makeValidator, type RequiredValidatorSpec, type Spec } from 'envalid';
import { parseAddress, parseDomain } from '../vocabulary/address.ts';
import { parseNetwork } from '../vocabulary/networks.ts';

/**
 * Validators for values that end up inside Dovecot or Postfix config files.
 * Each one refuses anything that could break out of a config line or value
 * (newlines, quotes, braces, Dovecot's %{} and Postfix's $ expansion).
 */

// The docs (docs/configuration.md) are generated from the specs; these say what a default alone cannot.
declare module 'envalid/dist/types.js' {
  interface Spec<T> {
    /** The default as written in the environment, where the parsed value reads otherwise (15m for 900 seconds). */
    defaultText?: string;
    /** What an unset variable without a default means, where it is more than nothing (the container's hostname). */
    whenUnset?: string;
  }
}

const CONFIG_BREAKERS = /[\r\n"'{}$%\\`;#\s]/;

function refuseConfigBreakers(value: string): string {
  const bad = CONFIG_BREAKERS.exec(value);
  if (bad) {
    throw new Error(`contains ${JSON.stringify(bad[0])}, which is not allowed in a config value`);
  }
  return value;
}

// Environment values may carry spaces around them (compose files); inside, an address is exact.
export const mailAddress = makeValidator<string>((value) => parseAddress(value.trim()));

export const domainList = makeValidator<string[]>((value) =>
  value
    .split(/[\s,]+/)
    .filter((item) => item !== '')
    .map(parseDomain),
);

export const absolutePath = makeValidator<string>((value) => {
  if (!value.startsWith('/')) throw new Error(`"${value}" is not an absolute path; allowed: a path starting with /`);
  return refuseConfigBreakers(value);
});

/** An absolute path to a file this process can read (a CA certificate, a key). */
export const readableFile = makeValidator<string>((value) => {
  const path = refuseConfigBreakers(value.trim());
  if (!path.startsWith('/')) throw new Error(`"${value}" is not an absolute path; allowed: a path starting with /`);
  try {
    accessSync(path, constants.R_OK);
  } catch (error) {
    throw new Error(
      `cannot read "${path}" (${(error as NodeJS.ErrnoException).code ?? 'error'}); allowed: a readable file`,
    );
  }
  return path;
});

/** An http(s) URL that is also safe to write into a config file. */
export const httpUrl = makeValidator<string>((value) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`"${value}" is not a URL; allowed: an http:// or https:// URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`"${value}" uses ${url.protocol}; allowed: http:// or https://`);
  }
  return refuseConfigBreakers(value);
});

/** A short name or word: claim names, scopes, audiences. Never quoted into configs, still kept tame. */
export const token = makeValidator<string>((value) => {
  if (value === '') throw new Error('is empty');
  return refuseConfigBreakers(value);
});

/** Several short names, comma or space separated (audiences, client ids); empty is refused. */
export const tokenList = makeValidator<string[]>((value) => {
  const items = value.split(/[\s,]+/).filter((item) => item !== '');
  if (items.length === 0) throw new Error('is empty; allowed: one or more names, comma-separated');
  return [...new Set(items.map(refuseConfigBreakers))];
});

export const seconds = makeValidator<number>((value) => {
  if (!/^\d+$/.test(value.trim()))
    throw new Error(`"${value}" is not a whole number of seconds; allowed: 0 or more, e.g. 300`);
  return Number(value.trim());
});

export const wholeNumber = makeValidator<number>((value) => {
  if (!/^\d{1,9}$/.test(value.trim())) throw new Error(`"${value}" is not a whole number; allowed: 0 or more, e.g. 20`);
  return Number(value.trim());
});

/** A user or group id for a daemon's account: not root's (0), not nobody's (65534) or above. */
export const accountId = makeValidator<number>((value) => {
  const id = /^\d{1,5}$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!(id >= 1 && id <= 65533)) throw new Error(`"${value}" is not an account id; allowed: 1 to 65533 (not 0, root)`);
  return id;
});

/** Networks in CIDR notation (a bare address is one host), comma or space separated. */
export const cidrList = makeValidator<string[]>((value) =>
  value
    .split(/[\s,]+/)
    .filter((item) => item !== '')
    .map((item) => {
      try {
        parseNetwork(item);
      } catch {
        throw new Error(
          `"${item}" is not a network; allowed: addresses or CIDR ranges, e.g. 10.0.0.0/8, 2001:db8::/32`,
        );
      }
      return item;
    }),
);

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** A length of time in seconds, written with a unit: 90s, 15m, 12h, 30d. */
export const duration = makeValidator<number>((value) => {
  const match = /^(\d+)([smhd])$/.exec(value.trim());
  if (match === null)
    throw new Error(`"${value}" is not a duration; allowed: a whole number with a unit s, m, h or d, e.g. 30d`);
  return Number(match[1]) * (DURATION_UNITS[match[2] as string] as number);
});

/** A shared secret presented by a client: long enough not to be guessed, printable, one line. */
export const secret = makeValidator<string>((value) => {
  if (!/^[\x21-\x7e]{32,512}$/.test(value))
    throw new Error(
      'is not 32 to 512 printable characters without spaces; allowed: e.g. the output of openssl rand -hex 32',
    );
  return value;
});

export const hostName = makeValidator<string>((value) => {
  const name = value.trim().toLowerCase();
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(name)) {
    throw new Error(`"${value}" is not a host name; allowed: letters, digits, dots and dashes, e.g. mail.example.org`);
  }
  return name;
});

/** hostName's check for a value inside another setting (a relay's host, a certificate's name). */
export const parseHostName = (value: string): string => hostName({})._parse(value);

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off', '']);

/** docker-mailserver's quoted form, which compose files and `--env-file` keep: LDAP_QUERY_FILTER_USER="(&(mail=%s))". */
export const unquote = (value: string): string =>
  value
    .trim()
    .replace(/^"(.*)"$/s, '$1')
    .replace(/^'(.*)'$/s, '$1');

/**
 * A short text that goes into a mail header or an SMTP reply, and into a config file as a quoted string:
 * printable ASCII without quotes, backslashes or `$` (a Sieve variable); white space inside quotes is kept
 * (SPAM_SUBJECT='[SPAM] ').
 */
export const quotedText = makeValidator<string>((value) => {
  const text = unquote(value);
  if (!/^[\x20-\x7e]{1,200}$/.test(text) || /["\\$]/.test(text))
    throw new Error(
      `"${value}" is not a plain text; allowed: 1 to 200 printable ASCII characters without quotes, backslashes or $`,
    );
  return text;
});

/** docker-mailserver style switches: 1/0 (and true/false, yes/no, on/off). */
export const flag = makeValidator<boolean>((value) => {
  const word = value.trim().toLowerCase();
  if (TRUE.has(word)) return true;
  if (FALSE.has(word)) return false;
  throw new Error(`"${value}" is not a switch; allowed: 1 or 0 (also true/false, yes/no, on/off)`);
});

export function choice<T extends string>(allowed: readonly T[]) {
  const validator = makeValidator<T>((value) => {
    const word = value.trim().toLowerCase();
    if (!(allowed as readonly string[]).includes(word)) {
      throw new Error(`"${value}" is not one of the choices; allowed: ${allowed.join(', ')}`);
    }
    return word as T;
  });
  // Also envalid's `choices`, where the docs read them (envalid's own check of them always passes).
  return (spec: Spec<T> & { default: T }): RequiredValidatorSpec<T> => validator({ ...spec, choices: allowed });
}

/** A comma or space separated list of choices, each at most once; empty is refused (it would lock everyone out). */
export function parseChoiceList<T extends string>(value: string, allowed: readonly T[]): T[] {
  const words = value
    .split(/[\s,]+/)
    .map((word) => word.trim().toLowerCase())
    .filter((word) => word !== '');
  const unknown = words.filter((word) => !(allowed as readonly string[]).includes(word));
  if (unknown.length > 0)
    throw new Error(`"${unknown.join(', ')}" is not one of the choices; allowed: any of ${allowed.join(', ')}`);
  if (words.length === 0) throw new Error(`is empty; allowed: one or more of ${allowed.join(', ')}`);
  return [...new Set(words)] as T[];
}

export function choiceList<T extends string>(allowed: readonly T[]) {
  return makeValidator<T[]>((value) => parseChoiceList(value, allowed));
}
