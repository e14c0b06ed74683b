import type { ValidatorSpec } from 'envalid';
import { DMS_VARIABLES } from './dms-variables.ts';
import { variableSpecs } from './settings.ts';

/**
 * Every environment variable idmail reads, as docs/configuration.md shows it, taken from the specs
 * (scripts/configuration-tables.ts writes the tables; a unit test fails when they drift).
 */
export interface DocumentedVariable {
  name: string;
  /** The table it is in: `<!-- variables:begin <section> -->` in docs/configuration.md. */
  section: SectionName;
  /** The default as written in the environment (empty: an empty list); undefined when there is none. */
  defaultValue: string | undefined;
  /** What leaving it unset means, when it has no default. */
  whenUnset: string | undefined;
  description: string;
  example: string | undefined;
  /** The only values it takes, when they are a fixed few. */
  choices: readonly string[] | undefined;
}

type VariableName = keyof typeof variableSpecs;

/** Each table's variables, in the order a reader meets them; a variable in none fails the docs test. */
const SECTIONS = {
  server: [
    'OVERRIDE_HOSTNAME',
    'MAIL_DOMAINS',
    'POSTMASTER_ADDRESS',
    'POSTFIX_MESSAGE_SIZE_LIMIT',
    'ACCOUNT_PROVISIONER',
    'ACCOUNTS_FILE',
    'DMS_VMAIL_UID',
    'DMS_VMAIL_GID',
    'ENABLE_IMAP',
    'ENABLE_POP3',
    'ENABLE_MANAGESIEVE',
    'SMTP_ONLY',
    'SPOOF_PROTECTION',
    'POSTSCREEN_ACTION',
    'LOGIN_PROCESS_MODE',
    'POSTFIX_INET_PROTOCOLS',
    'DOVECOT_INET_PROTOCOLS',
    'LOG_LEVEL',
    'LOGROTATE_INTERVAL',
    'LOGROTATE_COUNT',
    'DMS_CONFIG_POLL',
  ],
  tls: ['SSL_TYPE', 'SSL_CERT_PATH', 'SSL_KEY_PATH', 'SSL_DOMAIN', 'ALLOW_PLAINTEXT_AUTH'],
  acme: ['ACME_DIRECTORY_URL', 'ACME_EMAIL', 'ACME_CA_FILE', 'ACME_DOMAINS'],
  'sign-in': [
    'AUTH_METHODS',
    'AUTH_PROTOCOLS',
    'ENABLE_SELF_SERVICE',
    'SELF_SERVICE_CLIENT_ID',
    'HTTPS_PORT',
    'APP_PASSWORD_SUSPEND_AFTER',
    'PASSWORD_HASH_UPGRADE',
  ],
  oauth2: [
    'ENABLE_OAUTH2',
    'OAUTH2_ISSUER',
    'OAUTH2_AUDIENCE',
    'OAUTH2_ACCEPT_ANY_AUDIENCE',
    'OAUTH2_ALLOWED_CLIENTS',
    'OAUTH2_ALLOW_HTTP',
    'OAUTH2_TLS_CA_FILE',
    'OAUTH2_USERNAME_CLAIM',
    'OAUTH2_REQUIRED_SCOPE',
    'OAUTH2_CLIENT_ID',
    'OAUTH2_CLIENT_SECRET',
    'OAUTH2_INTROSPECTION_URL',
    'OAUTH2_CLOCK_SKEW',
    'OAUTH2_CACHE_REVALIDATE',
    'OAUTH2_CACHE_MAX_TTL',
    'OAUTH2_NEGATIVE_CACHE_TTL',
  ],
  provisioning: [
    'OAUTH2_PROVISIONING',
    'OAUTH2_TEMPLATE_CLAIM',
    'PROVISIONING_TEMPLATES',
    'SCIM_TOKEN',
    'PROVISIONING_PURGE_AFTER',
  ],
  quotas: ['ENABLE_QUOTAS', 'POSTFIX_MAILBOX_SIZE_LIMIT'],
  ldap: [
    'LDAP_SERVER_HOST',
    'LDAP_SEARCH_BASE',
    'LDAP_BIND_DN',
    'LDAP_BIND_PW',
    'LDAP_START_TLS',
    'LDAP_TLS_CA_FILE',
    'LDAP_SCHEMA',
    'LDAP_QUERY_FILTER_USER',
    'LDAP_QUERY_FILTER_LOGIN',
    'LDAP_QUERY_FILTER_ALIAS',
    'LDAP_QUERY_FILTER_GROUP',
    'LDAP_QUERY_FILTER_DOMAIN',
    'LDAP_QUERY_FILTER_SENDERS',
    'DOVECOT_PASS_FILTER',
    'DOVECOT_USER_FILTER',
    'LDAP_ATTRIBUTE_MAIL',
    'LDAP_ATTRIBUTE_UID',
    'LDAP_ATTRIBUTE_ALIASES',
    'LDAP_ATTRIBUTE_QUOTA',
    'LDAP_ATTRIBUTE_ENABLED',
    'LDAP_ATTRIBUTE_MEMBER',
    'LDAP_TIMEOUT',
    'LDAP_POOL_SIZE',
    'LDAP_CACHE_TTL',
  ],
  'brute-force': [
    'BRUTE_FORCE_PROTECTION',
    'BRUTE_FORCE_WINDOW',
    'BRUTE_FORCE_DELAY_AFTER',
    'BRUTE_FORCE_BAN_AFTER',
    'BRUTE_FORCE_ACCOUNT_BAN_AFTER',
    'BRUTE_FORCE_BAN_TIME',
    'BRUTE_FORCE_ALLOWLIST',
    'BRUTE_FORCE_IPV6_PREFIX',
  ],
  'spam-and-dkim': [
    'ENABLE_RSPAMD',
    'ENABLE_RSPAMD_REDIS',
    'RSPAMD_GREYLISTING',
    'ENABLE_POSTGREY',
    'POSTGREY_DELAY',
    'POSTGREY_MAX_AGE',
    'POSTGREY_TEXT',
    'MOVE_SPAM_TO_JUNK',
    'SPAM_SUBJECT',
    'ENABLE_OPENDKIM',
    'ENABLE_OPENDMARC',
    'ENABLE_POLICYD_SPF',
    'ENABLE_AMAVIS',
    'ENABLE_SPAMASSASSIN',
    'DKIM_SELECTOR',
    'DKIM_KEY_SIZE',
  ],
  relay: [
    'DEFAULT_RELAY_HOST',
    'RELAY_HOST',
    'RELAY_PORT',
    'RELAY_USER',
    'RELAY_PASSWORD',
    'RELAY_MAP',
    'RELAY_CREDENTIALS',
  ],
  'rate-limits': ['SUBMISSION_MESSAGES_PER_HOUR', 'SUBMISSION_RECIPIENTS_PER_HOUR'],
  networks: ['PERMIT_DOCKER', 'PROXY_PROTOCOL_NETWORKS', 'LOGIN_TRUSTED_NETWORKS'],
  metrics: ['METRICS_PORT'],
} as const satisfies Record<string, readonly VariableName[]>;

/** docker-mailserver's LDAP variables that stop the start (they are not read, only refused). */
const UNREAD_LDAP_SECTION = 'ldap-unread';

type SectionName = keyof typeof SECTIONS | typeof UNREAD_LDAP_SECTION;

export function documentedVariables(): DocumentedVariable[] {
  const specified = Object.entries(SECTIONS).flatMap(([section, names]) =>
    names.map((name) => specifiedVariable(name, section as SectionName)),
  );
  return [...specified, ...unreadLdapVariables()];
}

function specifiedVariable(name: VariableName, section: SectionName): DocumentedVariable {
  const spec: ValidatorSpec<unknown> = variableSpecs[name];
  if (spec.desc === undefined) throw new Error(`${name}: its spec has no desc`);
  return {
    name,
    section,
    defaultValue: writtenDefault(name, spec),
    whenUnset: spec.whenUnset,
    description: spec.desc,
    example: spec.example,
    choices: spec.choices?.map(String),
  };
}

/** A parsed default written back as the environment carries it. */
function writtenDefault(name: string, spec: ValidatorSpec<unknown>): string | undefined {
  const value = spec.default;
  if (spec.defaultText !== undefined || value === undefined) return spec.defaultText;
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.join(',');
  throw new Error(`${name}: its default has no written form; give its spec a defaultText`);
}

/** The variable names in a phrase, as code. */
const asCode = (phrase: string) => phrase.replace(/\b[A-Z0-9]+_[A-Z0-9_]+\b/g, '`$&`');

/** docker-mailserver's Dovecot and saslauthd LDAP settings idmail refuses, each with where its meaning goes. */
function unreadLdapVariables(): DocumentedVariable[] {
  return Object.entries(DMS_VARIABLES)
    .filter(([name, { decision }]) => decision.kind === 'refused' && /^(DOVECOT|SASLAUTHD)_/.test(name))
    .map(([name, { decision }]) => ({
      name,
      section: UNREAD_LDAP_SECTION,
      defaultValue: undefined,
      whenUnset: undefined,
      description: asCode('here' in decision ? decision.here : ''),
      example: undefined,
      choices: undefined,
    }));
}
