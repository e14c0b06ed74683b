import { isIP } from 'node:net';
import { makeValidator } from 'envalid';

/**
 * Validators for values that end up inside Dovecot or Postfix config files.
 * Each one refuses anything that could break out of a config line or value
 * (newlines, quotes, braces, Dovecot's %{} and Postfix's $ expansion).
 */

const CONFIG_BREAKERS = /[\r\n"'{}$%\\`;#\s]/;

function refuseConfigBreakers(value: string): string {
  const bad = CONFIG_BREAKERS.exec(value);
  if (bad) {
    throw new Error(`contains ${JSON.stringify(bad[0])}, which is not allowed in a config value`);
  }
  return value;
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
const ADDRESS_LOCAL = /^[a-z0-9!#&*+/=?^_|~.-]{1,64}$/;

export function parseDomain(value: string): string {
  const domain = value.trim().toLowerCase();
  if (!DOMAIN.test(domain)) throw new Error(`"${value}" is not a domain name; allowed: a DNS name like example.org`);
  return domain;
}

export function parseAddress(value: string): string {
  const address = value.trim().toLowerCase();
  const at = address.lastIndexOf('@');
  if (at < 1 || !ADDRESS_LOCAL.test(address.slice(0, at))) {
    throw new Error(`"${value}" is not a mail address; allowed: local@domain with letters, digits and .-_+`);
  }
  parseDomain(address.slice(at + 1));
  return address;
}

export const domainName = makeValidator<string>(parseDomain);

export const mailAddress = makeValidator<string>(parseAddress);

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

export const seconds = makeValidator<number>((value) => {
  if (!/^\d+$/.test(value.trim())) throw new Error(`"${value}" is not a whole number of seconds; allowed: 0 or more, e.g. 300`);
  return Number(value.trim());
});

export const wholeNumber = makeValidator<number>((value) => {
  if (!/^\d{1,9}$/.test(value.trim())) throw new Error(`"${value}" is not a whole number; allowed: 0 or more, e.g. 20`);
  return Number(value.trim());
});

/** Networks in CIDR notation (a bare address is one host), comma or space separated. */
export const cidrList = makeValidator<string[]>((value) =>
  value
    .split(/[\s,]+/)
    .filter((item) => item !== '')
    .map((item) => {
      const [address = '', bits, ...rest] = item.split('/');
      const family = isIP(address);
      const maxBits = family === 6 ? 128 : 32;
      const validBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits);
      if (family === 0 || !validBits || rest.length > 0) throw new Error(`"${item}" is not a network; allowed: addresses or CIDR ranges, e.g. 10.0.0.0/8, 2001:db8::/32`);
      return item;
    }),
);

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** A length of time in seconds, written with a unit: 90s, 15m, 12h, 30d. */
export const duration = makeValidator<number>((value) => {
  const match = /^(\d+)([smhd])$/.exec(value.trim());
  if (match === null) throw new Error(`"${value}" is not a duration; allowed: a whole number with a unit s, m, h or d, e.g. 30d`);
  return Number(match[1]) * (DURATION_UNITS[match[2] as string] as number);
});

/** A shared secret presented by a client: long enough not to be guessed, printable, one line. */
export const secret = makeValidator<string>((value) => {
  if (!/^[\x21-\x7e]{32,512}$/.test(value)) throw new Error('is not 32 to 512 printable characters without spaces; allowed: e.g. the output of openssl rand -hex 32');
  return value;
});

export const hostName = makeValidator<string>((value) => {
  const name = value.trim().toLowerCase();
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(name)) {
    throw new Error(`"${value}" is not a host name; allowed: letters, digits, dots and dashes, e.g. mail.example.org`);
  }
  return name;
});

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off', '']);

/** docker-mailserver style switches: 1/0 (and true/false, yes/no, on/off). */
export const flag = makeValidator<boolean>((value) => {
  const word = value.trim().toLowerCase();
  if (TRUE.has(word)) return true;
  if (FALSE.has(word)) return false;
  throw new Error(`"${value}" is not a switch; allowed: 1 or 0 (also true/false, yes/no, on/off)`);
});

export function choice<T extends string>(allowed: readonly T[]) {
  return makeValidator<T>((value) => {
    const word = value.trim().toLowerCase();
    if (!(allowed as readonly string[]).includes(word)) {
      throw new Error(`"${value}" is not one of the choices; allowed: ${allowed.join(', ')}`);
    }
    return word as T;
  });
}

/** A comma or space separated list of choices, each at most once; empty is refused (it would lock everyone out). */
export function parseChoiceList<T extends string>(value: string, allowed: readonly T[]): T[] {
  const words = value.split(/[\s,]+/).map((word) => word.trim().toLowerCase()).filter((word) => word !== '');
  const unknown = words.filter((word) => !(allowed as readonly string[]).includes(word));
  if (unknown.length > 0) throw new Error(`"${unknown.join(', ')}" is not one of the choices; allowed: any of ${allowed.join(', ')}`);
  if (words.length === 0) throw new Error(`is empty; allowed: one or more of ${allowed.join(', ')}`);
  return [...new Set(words)] as T[];
}

export function choiceList<T extends string>(allowed: readonly T[]) {
  return makeValidator<T[]>((value) => parseChoiceList(value, allowed));
}
