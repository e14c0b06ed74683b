import { type CleanedEnv, makeValidator, num, str } from 'envalid';
import { checkFilterTemplate, normalizeFilterTemplate } from '../vocabulary/ldap-filter.ts';
import { fromDovecotFilter } from './dovecot-ldap-filter.ts';
import { LDAP_PRESETS, type LdapAttributes, type LdapFilters, type LdapSchema } from './ldap-presets.ts';
import { absolutePath, choice, flag, seconds, unquote } from './validators.ts';

export interface LdapSettings {
  /** Tried in order; the first that answers is used until it fails. */
  servers: string[];
  searchBase: string;
  /** The service account searches run as; undefined: anonymous searches. */
  bind: { dn: string; password: string } | undefined;
  startTls: boolean;
  caFile: string | undefined;
  timeoutMs: number;
  poolSize: number;
  cacheSeconds: number;
  schema: LdapSchema;
  attributes: LdapAttributes;
  filters: LdapFilters;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is its purpose
const CONTROL = /[\x00-\x1f\x7f]/;

function refuseControlCharacters(value: string): string {
  if (CONTROL.test(value)) throw new Error('contains a control character (newline, tab, NUL); allowed: printable text');
  return value;
}

/** docker-mailserver takes a host with or without scheme; a list (space or comma separated) fails over in order. */
const ldapServerList = makeValidator<string[]>((value) => {
  const servers = value.split(/[\s,]+/).filter((item) => item !== '');
  if (servers.length === 0)
    throw new Error('is empty; allowed: ldap://host[:port] or ldaps://host[:port], several separated by spaces');
  return servers.map((server) => {
    const url = new URL(server.includes('://') ? server : `ldap://${server}`);
    if (url.protocol !== 'ldap:' && url.protocol !== 'ldaps:') {
      throw new Error(`"${server}" uses ${url.protocol}; allowed: ldap:// or ldaps://`);
    }
    if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.username !== '') {
      throw new Error(`"${server}" has more than a scheme, host and port; allowed: ldap://host[:port]`);
    }
    return `${url.protocol}//${url.host}`;
  });
});

const distinguishedName = makeValidator<string>((value) => {
  if (!/^[^=,]+=[^,]+/.test(value.trim())) throw new Error(`"${value}" is not a DN; allowed: e.g. dc=example,dc=org`);
  return refuseControlCharacters(value.trim());
});

const ldapFilter = makeValidator<string>((value) => {
  const filter = normalizeFilterTemplate(refuseControlCharacters(unquote(value)));
  checkFilterTemplate(filter);
  return filter;
});

const dovecotFilter = makeValidator<string>((value) => fromDovecotFilter(refuseControlCharacters(unquote(value))));

/** An attribute name (or OID); "none" (or empty) switches a preset's attribute off. */
const attributeName = makeValidator<string | false>((value) => {
  const name = value.trim();
  // false, not null: envalid takes a null result for a failed parse.
  if (name === '' || name.toLowerCase() === 'none') return false;
  if (!/^([A-Za-z][A-Za-z0-9-]*|\d+(\.\d+)+)$/.test(name)) {
    throw new Error(`"${value}" is not an attribute name; allowed: letters, digits and -, e.g. mail, or none`);
  }
  return name;
});

const poolSize = num({
  default: 4,
  desc: 'Connections for searches, and at most as many binds at once (1 to 64)',
  example: '8',
});

/** Where accounts come from: the account source (docker-mailserver's ACCOUNT_PROVISIONER). */
type AccountSource = 'file' | 'ldap';

export const ldapSpecs = {
  ACCOUNT_PROVISIONER: choice<AccountSource>(['file', 'ldap'])({
    default: 'file',
    desc: 'Where accounts come from: the accounts file, or an LDAP directory',
    example: 'LDAP',
  }),
  LDAP_SERVER_HOST: ldapServerList({
    default: undefined,
    whenUnset: 'required with LDAP',
    desc: 'Servers, tried in order (space or comma separated); without a scheme `ldap://`',
    example: 'ldaps://ldap1.example.org ldap://ldap2.example.org:389',
  }),
  LDAP_SEARCH_BASE: distinguishedName({
    default: undefined,
    whenUnset: 'required with LDAP',
    desc: 'Where every search starts (subtree)',
    example: 'ou=people,dc=example,dc=org',
  }),
  LDAP_BIND_DN: distinguishedName({
    default: undefined,
    whenUnset: 'anonymous',
    desc: 'The service account searches run as; give it read access, nothing more',
    example: 'cn=idmail,ou=services,dc=example,dc=org',
  }),
  LDAP_BIND_PW: str({
    default: undefined,
    whenUnset: 'anonymous',
    desc: 'Its password (set both or neither), best read from a file (`LDAP_BIND_PW__FILE`); never logged',
  }),
  LDAP_START_TLS: flag({
    default: false,
    desc: 'StartTLS on `ldap://` servers (not with `ldaps://`, which is TLS already)',
    example: '1',
  }),
  LDAP_TLS_CA_FILE: absolutePath({
    default: undefined,
    whenUnset: 'system CAs',
    desc:
      "CA certificates (PEM) that signed the directory's certificate; the certificate is always verified, " +
      'hostname included',
    example: '/etc/idmail/ldap-ca.pem',
  }),
  LDAP_SCHEMA: choice<LdapSchema>(['inetorgperson', 'postfix-book', 'active-directory'])({
    default: 'inetorgperson',
    desc: "The preset of filters and attributes (`postfix-book` is docker-mailserver's schema)",
    example: 'postfix-book',
  }),
  LDAP_QUERY_FILTER_USER: ldapFilter({
    default: undefined,
    whenUnset: 'preset',
    desc: "The mailbox entry for an address (delivery, Dovecot's user lookup)",
    example: '(&(mail=%s)(mailEnabled=TRUE))',
  }),
  LDAP_QUERY_FILTER_LOGIN: ldapFilter({
    default: undefined,
    whenUnset: 'preset, or your `LDAP_QUERY_FILTER_USER`',
    desc: "The entry for a password sign-in name (a token's uid claim too, which must then equal the entry's uid)",
    example: '(&(objectClass=person)(|(mail=%s)(uid=%s)))',
  }),
  LDAP_QUERY_FILTER_ALIAS: ldapFilter({
    default: undefined,
    whenUnset: 'preset',
    desc: 'Entries whose mailboxes receive mail sent to an alias',
    example: '(&(mailAlias=%s)(mailEnabled=TRUE))',
  }),
  LDAP_QUERY_FILTER_GROUP: ldapFilter({
    default: undefined,
    whenUnset: 'preset',
    desc:
      "Distribution lists for an address: a list entry's `member`s receive (lists in lists too, 3 deep), or an " +
      'entry found directly receives',
    example: '(&(objectClass=groupOfNames)(mail=%s))',
  }),
  LDAP_QUERY_FILTER_DOMAIN: ldapFilter({
    default: undefined,
    whenUnset: 'preset',
    desc: 'Any match means the domain is served',
    example: '(mail=*@%s)',
  }),
  LDAP_QUERY_FILTER_SENDERS: ldapFilter({
    default: undefined,
    whenUnset: 'preset',
    desc: 'Whose mailboxes may send with an address as sender (with `SPOOF_PROTECTION=1`)',
    example: '(|(mail=%s)(mailAlias=%s))',
  }),
  DOVECOT_PASS_FILTER: dovecotFilter({
    default: undefined,
    whenUnset: '`DOVECOT_USER_FILTER`',
    desc:
      "docker-mailserver's: the entry for a password sign-in name, in Dovecot's variables (`%u` the login, " +
      '`%n` its local part, `%d` its domain); in place of the login filter, or narrowing yours',
    example: '(&(objectClass=PostfixBookMailAccount)(userID=%{user | username}))',
  }),
  DOVECOT_USER_FILTER: dovecotFilter({
    default: undefined,
    whenUnset: 'no further condition',
    desc: "docker-mailserver's: a condition every mailbox entry must also meet, at sign-in and for delivery (Dovecot's variables)",
    example: '(&(objectClass=PostfixBookMailAccount)(mailEnabled=TRUE))',
  }),
  LDAP_ATTRIBUTE_MAIL: attributeName({
    default: undefined,
    whenUnset: 'preset: `mail`',
    desc: 'The mailbox address',
    example: 'userPrincipalName',
  }),
  LDAP_ATTRIBUTE_UID: attributeName({
    default: undefined,
    whenUnset: 'none: sign-in by address only',
    desc: "A second sign-in name; the preset's login filter then accepts it too",
    example: 'sAMAccountName',
  }),
  LDAP_ATTRIBUTE_ALIASES: attributeName({
    default: undefined,
    whenUnset: 'preset',
    desc: 'Extra addresses of an entry; `none` switches them off',
    example: 'mailLocalAddress',
  }),
  LDAP_ATTRIBUTE_QUOTA: attributeName({
    default: undefined,
    whenUnset: 'preset',
    desc: 'Mailbox size limit (`1G`, `500M`, `2048k`, or bytes), shown to IMAP clients (QUOTA); `none` switches it off',
    example: 'mailQuota',
  }),
  LDAP_ATTRIBUTE_ENABLED: attributeName({
    default: undefined,
    whenUnset: 'preset',
    desc: 'A `TRUE`/`FALSE` switch: an entry with it not `TRUE` cannot sign in or receive; `none` switches it off',
    example: 'mailEnabled',
  }),
  LDAP_ATTRIBUTE_MEMBER: attributeName({
    default: undefined,
    whenUnset: 'preset: `member`',
    desc: "DNs of a list's members",
    example: 'uniqueMember',
  }),
  LDAP_TIMEOUT: seconds({
    default: 5,
    desc: 'Seconds for a connection or an operation before the server counts as down',
    example: '2',
  }),
  LDAP_POOL_SIZE: poolSize,
  LDAP_CACHE_TTL: seconds({
    default: 60,
    desc: 'Seconds a lookup (the entry a login names too) is kept (`0`: never); passwords are never cached',
    example: '10',
  }),
};

type LdapEnv = CleanedEnv<typeof ldapSpecs>;

export function ldapProblems(env: LdapEnv): string[] {
  const problems: string[] = [];
  if (env.ACCOUNT_PROVISIONER !== 'ldap') {
    if (env.LDAP_SERVER_HOST !== undefined) {
      problems.push(
        'LDAP_SERVER_HOST: is set but ACCOUNT_PROVISIONER is not LDAP; allowed: ACCOUNT_PROVISIONER=LDAP, or unset LDAP_SERVER_HOST',
      );
    }
    return problems;
  }
  if (env.LDAP_SERVER_HOST === undefined)
    problems.push('LDAP_SERVER_HOST: is required with ACCOUNT_PROVISIONER=LDAP; allowed: ldap://host or ldaps://host');
  if (env.LDAP_SEARCH_BASE === undefined)
    problems.push(
      'LDAP_SEARCH_BASE: is required with ACCOUNT_PROVISIONER=LDAP; allowed: a DN, e.g. ou=people,dc=example,dc=org',
    );
  if ((env.LDAP_BIND_DN === undefined) !== (env.LDAP_BIND_PW === undefined)) {
    problems.push(
      'LDAP_BIND_DN, LDAP_BIND_PW: only one is set; allowed: both (service account) or neither (anonymous search)',
    );
  }
  if (env.LDAP_START_TLS && env.LDAP_SERVER_HOST?.some((server) => server.startsWith('ldaps:'))) {
    problems.push(
      'LDAP_START_TLS: is on with an ldaps:// server, which is TLS already; allowed: ldap:// with StartTLS, or ldaps:// without',
    );
  }
  if (!Number.isInteger(env.LDAP_POOL_SIZE) || env.LDAP_POOL_SIZE < 1 || env.LDAP_POOL_SIZE > 64) {
    problems.push(`LDAP_POOL_SIZE: "${env.LDAP_POOL_SIZE}" is out of range; allowed: a whole number from 1 to 64`);
  }
  for (const [name, needed] of [
    ['LDAP_ATTRIBUTE_MAIL', 'an entry is found and named by its address'],
    ['LDAP_ATTRIBUTE_MEMBER', 'a group delivers to its members'],
  ] as const) {
    if (env[name] === false) {
      problems.push(
        `${name}: cannot be switched off (none or empty): ${needed}; allowed: an attribute name, or unset for the preset's`,
      );
    }
  }
  if (env.LDAP_QUERY_FILTER_USER !== undefined && env.LDAP_QUERY_FILTER_LOGIN === undefined && env.LDAP_ATTRIBUTE_UID) {
    problems.push(
      'LDAP_ATTRIBUTE_UID: cannot be added to your own LDAP_QUERY_FILTER_USER; allowed: also set LDAP_QUERY_FILTER_LOGIN, e.g. (&(objectClass=inetOrgPerson)(|(mail=%s)(uid=%s)))',
    );
  }
  return problems;
}

export function ldapSettings(env: LdapEnv): LdapSettings | undefined {
  if (env.ACCOUNT_PROVISIONER !== 'ldap' || env.LDAP_SERVER_HOST === undefined || env.LDAP_SEARCH_BASE === undefined)
    return undefined;
  const attributes = ldapAttributes(env);
  const presetFilters = LDAP_PRESETS[env.LDAP_SCHEMA].filters(attributes);
  const user = env.LDAP_QUERY_FILTER_USER ?? presetFilters.user;
  const dovecotPass = env.DOVECOT_PASS_FILTER ?? env.DOVECOT_USER_FILTER;
  // Your own user filter is also the login filter unless you give one: it may carry conditions the preset's lacks.
  const login =
    env.LDAP_QUERY_FILTER_LOGIN ??
    dovecotPass ??
    (env.LDAP_QUERY_FILTER_USER === undefined ? presetFilters.login : user);
  return {
    servers: env.LDAP_SERVER_HOST,
    searchBase: env.LDAP_SEARCH_BASE,
    bind:
      env.LDAP_BIND_DN !== undefined && env.LDAP_BIND_PW !== undefined
        ? { dn: env.LDAP_BIND_DN, password: env.LDAP_BIND_PW }
        : undefined,
    startTls: env.LDAP_START_TLS,
    caFile: env.LDAP_TLS_CA_FILE,
    timeoutMs: env.LDAP_TIMEOUT * 1000,
    poolSize: env.LDAP_POOL_SIZE,
    cacheSeconds: env.LDAP_CACHE_TTL,
    schema: env.LDAP_SCHEMA,
    attributes,
    filters: {
      // docker-mailserver's Dovecot filters only ever narrow: an entry must meet them as well as ours.
      user: allOf(user, env.DOVECOT_USER_FILTER),
      login: allOf(login, dovecotPass, env.DOVECOT_USER_FILTER),
      alias: env.LDAP_QUERY_FILTER_ALIAS ?? presetFilters.alias,
      group: env.LDAP_QUERY_FILTER_GROUP ?? presetFilters.group,
      domain: env.LDAP_QUERY_FILTER_DOMAIN ?? presetFilters.domain,
      senders: env.LDAP_QUERY_FILTER_SENDERS ?? presetFilters.senders,
    },
  };
}

/** One filter every given one must match; the same filter twice counts once. */
function allOf(...filters: (string | undefined)[]): string {
  const distinct = [...new Set(filters.filter((filter) => filter !== undefined))];
  return distinct.length === 1 ? (distinct[0] as string) : `(&${distinct.join('')})`;
}

function ldapAttributes(env: LdapEnv): LdapAttributes {
  const preset = LDAP_PRESETS[env.LDAP_SCHEMA].attributes;
  // undefined: not set, the preset decides; false: set to none.
  const pick = (value: string | false | undefined, fallback: string | undefined) =>
    value === undefined ? fallback : value || undefined;
  return {
    mail: env.LDAP_ATTRIBUTE_MAIL || preset.mail, // never false: ldapProblems refuses it
    uid: pick(env.LDAP_ATTRIBUTE_UID, preset.uid),
    aliases: pick(env.LDAP_ATTRIBUTE_ALIASES, preset.aliases),
    quota: pick(env.LDAP_ATTRIBUTE_QUOTA, preset.quota),
    enabled: pick(env.LDAP_ATTRIBUTE_ENABLED, preset.enabled),
    member: env.LDAP_ATTRIBUTE_MEMBER || preset.member, // never false: ldapProblems refuses it
  };
}
