import { EqualityFilter, FilterParser } from 'ldapts';

/**
 * Filter templates with Postfix's ldap_table placeholders, so docker-mailserver filters keep working:
 *   %s  the whole key (an address, a sign-in name, or a domain)
 *   %u  the key's local part (the whole key when it has no @)
 *   %d  the key's domain (empty when it has no @)
 *   %%  a literal %
 * Every substituted value is escaped (RFC 4515): a key like `*)(uid=*` matches nothing.
 */
const PLACEHOLDER = /%([sud%])/g;

export function fillFilter(template: string, key: string): string {
  const at = key.lastIndexOf('@');
  const parts: Record<string, string> = {
    s: key,
    u: at < 0 ? key : key.slice(0, at),
    d: at < 0 ? '' : key.slice(at + 1),
  };
  return template.replace(PLACEHOLDER, (_, name: string) =>
    name === '%' ? '%' : escapeFilterValue(parts[name] ?? ''),
  );
}

// RFC 4526's absolute filters, spelt as every server and the filter parser read them.
/** Matches no entry: docker-mailserver's (|), and a clause on an attribute the directory does not have. */
export const MATCHES_NOTHING = '(!(objectClass=*))';
const MATCHES_EVERYTHING = '(objectClass=*)';

/**
 * The filter without the white space OpenLDAP and Postfix allow between its parts, and with (|) and (&)
 * spelt as filters every server reads. Values keep their spaces: an unescaped parenthesis is never part of one.
 */
export function normalizeFilterTemplate(template: string): string {
  return template
    .replace(/\)\s+(?=[()])/g, ')')
    .replace(/\(\s*([&|!])\s*(?=\()/g, '($1')
    .replace(/\(\s*([&|])\s*\)/g, (_, operator: string) => (operator === '|' ? MATCHES_NOTHING : MATCHES_EVERYTHING));
}

function escapeFilterValue(value: string): string {
  return EqualityFilter.escape(value);
}

/** Throws with the parser's words when a template would not make a valid filter. */
export function checkFilterTemplate(template: string): void {
  const stray = /%[^sud%]/.exec(template);
  if (stray) throw new Error(`unknown placeholder "${stray[0]}"; allowed: %s, %u, %d (and %% for a literal %)`);
  const filled = fillFilter(template, 'user@example.org');
  if (!filled.startsWith('(') || !filled.endsWith(')'))
    throw new Error('is not an LDAP filter; allowed: a filter in parentheses, e.g. (mail=%s)');
  // The parser forgives a missing closing parenthesis; a filter Postfix or slapd would refuse should not start.
  const count = (char: string) => filled.split(char).length - 1;
  if (count('(') !== count(')'))
    throw new Error(
      `has ${count('(')} "(" but ${count(')')} ")"; allowed: balanced parentheses (escape them in values as \\28 and \\29)`,
    );
  FilterParser.parseString(filled);
}
