import { makeValidator } from 'envalid';
import { parseDomain } from '../vocabulary/address.ts';
import { hostName } from './validators.ts';

/**
 * The server's name must be fully qualified (two labels at least, the last no number), as docker-mailserver
 * requires: it is Postfix's HELO name, myorigin and banner, and receivers refuse a bare one.
 */
const FQDN_ALLOWED = 'a fully qualified domain name, two labels at least, e.g. mail.example.org';

function isFullyQualified(name: string): boolean {
  try {
    parseDomain(name);
    return true;
  } catch {
    return false;
  }
}

/** OVERRIDE_HOSTNAME: a host name (config-safe), and a fully qualified one. */
export const fullyQualifiedHostName = makeValidator<string>((value) => {
  const name = hostName({})._parse(value);
  if (!isFullyQualified(name)) throw new Error(`"${value}" is not fully qualified; allowed: ${FQDN_ALLOWED}`);
  return name;
});

/**
 * Without OVERRIDE_HOSTNAME the container's hostname is the server's name, and gets the same checks (it reaches
 * main.cf and dovecot.conf). A set OVERRIDE_HOSTNAME, good or bad, is its own validator's business.
 */
export function containerHostnameProblems(override: string | undefined, containerHostname: string): string[] {
  if (override !== undefined) return [];
  const name = containerHostname.toLowerCase();
  let valid = false;
  try {
    valid = hostName({})._parse(name) === name && isFullyQualified(name);
  } catch {
    // not even a host name: the same answer
  }
  if (valid) return [];
  return [
    `OVERRIDE_HOSTNAME: is unset and the container's hostname ${JSON.stringify(containerHostname)} is not fully qualified; allowed: OVERRIDE_HOSTNAME, or the container's hostname (compose: hostname:), set to ${FQDN_ALLOWED}`,
  ];
}
