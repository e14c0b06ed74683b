/**
 * Mail addresses and domains as idmail compares them: exactly, after lowercasing ASCII letters only.
 * Unicode case mapping is never applied: it maps different strings to one (the Kelvin sign K
 * lowercases to "k", "İ" to "i̇"), which would let one claim or login open another's mailbox.
 */

/** Lowercases A-Z and nothing else. */
export function asciiLower(value: string): string {
  return value.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
const ADDRESS_LOCAL = /^[a-z0-9!#&*+/=?^_|~.-]{1,64}$/;

/** A DNS domain name in lower case; anything else (spaces, non-ASCII, a trailing dot) is refused. */
export function parseDomain(value: string): string {
  const domain = asciiLower(value);
  if (!DOMAIN.test(domain)) throw new Error(`"${value}" is not a domain name; allowed: a DNS name like example.org`);
  return domain;
}

/** A mail address in lower case, exactly as given otherwise: no trimming, no other normalisation. */
export function parseAddress(value: string): string {
  const address = asciiLower(value);
  const at = address.lastIndexOf('@');
  if (at < 1 || !ADDRESS_LOCAL.test(address.slice(0, at))) {
    throw new Error(`"${value}" is not a mail address; allowed: local@domain with letters, digits and .-_+`);
  }
  parseDomain(address.slice(at + 1));
  return address;
}

/** The address, or undefined when the value is none. */
export function addressOrUndefined(value: string): string | undefined {
  try {
    return parseAddress(value);
  } catch {
    return undefined;
  }
}

export const localPartOf = (address: string): string => address.slice(0, address.lastIndexOf('@'));
export const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1);
