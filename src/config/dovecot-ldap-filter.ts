import { checkFilterTemplate, normalizeFilterTemplate } from '../vocabulary/ldap-filter.ts';

/**
 * docker-mailserver's DOVECOT_PASS_FILTER and DOVECOT_USER_FILTER are written with Dovecot's variables
 * (2.3's %u, %n, %d and 2.4's %{user | username}); idmail's filters use Postfix's (%s, %u, %d).
 * Dovecot's %u is the whole login, Postfix's %u its local part: each is translated, never reused as is.
 * Case modifiers (%Lu) are dropped: keys reach the filter lower-cased already.
 */
const DOVECOT_TO_OURS: Readonly<Record<string, string>> = {
  u: '%s',
  n: '%u',
  d: '%d',
  '%': '%%',
  user: '%s',
  username: '%u',
  domain: '%d',
  'user|username': '%u',
  'user|domain': '%d',
};

const DOVECOT_VARIABLE = /%(?:\{([^}]*)\}|L?(.))/g;

export function fromDovecotFilter(filter: string): string {
  const translated = normalizeFilterTemplate(filter).replace(
    DOVECOT_VARIABLE,
    (whole, long?: string, short?: string) => {
      const ours = DOVECOT_TO_OURS[long === undefined ? (short ?? '') : long.replace(/\s+/g, '')];
      if (ours === undefined) {
        throw new Error(
          `Dovecot variable "${whole}" names something other than the login; allowed: %u, %n, %d, %{user}, %{user | username}, %{user | domain}`,
        );
      }
      return ours;
    },
  );
  checkFilterTemplate(translated);
  return translated;
}
