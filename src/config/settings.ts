import { existsSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { type CleanedEnv, customCleanEnv, makeValidator, num } from 'envalid';
import {
  SIGN_IN_METHODS,
  SIGN_IN_PROTOCOLS,
  type SignInMethod,
  type SignInPolicy,
  type SignInProtocol,
} from '../vocabulary/sign-in.ts';
import { POSTFIX_POLICY_SOCKET } from '../vocabulary/wire-contract.ts';
import { type AcmeSettings, acmeProblems, acmeSettings, acmeSpecs } from './acme-settings.ts';
import {
  differingDefaultNotices,
  dmsLdapSchema,
  dmsVariableReport,
  misspeltVariableProblems,
} from './dms-compatibility.ts';
import { dmsConfigFolderReport } from './dms-config-files.ts';
import { DMS_CONFIG_FOLDER, DMS_SIEVE_FILES, resolveFileVariables } from './environment.ts';
import { type FilterSettings, filterProblems, filterSettings, filterSpecs, filterWarnings } from './filter-settings.ts';
import { containerHostnameProblems, fullyQualifiedHostName } from './hostname.ts';
import { type LdapSettings, ldapProblems, ldapSettings, ldapSpecs } from './ldap-settings.ts';
import { mailFlowSpecs, mailFlowWarnings } from './mail-flow-settings.ts';
import {
  type OAuth2Settings,
  oauth2Problems,
  oauth2Settings,
  oauth2Specs,
  oauth2Warnings,
  userinfoMode,
} from './oauth2-settings.ts';
import { DEFAULT_TEMPLATES, type ProvisioningTemplate, parseTemplates } from './provisioning-templates.ts';
import { type QuotaSettings, quotaSettings, quotaSpecs, quotaWarnings } from './quota-settings.ts';
import { rateLimitSettings, rateLimitSpecs, type SubmissionRateLimits } from './rate-limit-settings.ts';
import { type RelaySettings, relayProblems, relaySettings, relaySpecs } from './relay-settings.ts';
import { type TlsSettings, tlsProblems, tlsSettings, tlsSpecs, tlsWarnings } from './tls-settings.ts';
import {
  absolutePath,
  accountId,
  choice,
  choiceList,
  cidrList,
  domainList,
  duration,
  flag,
  mailAddress,
  seconds,
  secret,
  token,
  wholeNumber,
} from './validators.ts';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';
export type LoginProcessMode = 'performance' | 'security';
type InetProtocols = 'all' | 'ipv4' | 'ipv6';
type LogRotationInterval = 'daily' | 'weekly' | 'monthly';
const PERMIT_DOCKER_VALUES = ['none', 'container', 'host', 'network', 'connected-networks'] as const;
export type PermitDocker = (typeof PERMIT_DOCKER_VALUES)[number];

/** postscreen's actions (postscreen_greet_action and its kin), as docker-mailserver's POSTSCREEN_ACTION names them. */
export type PostscreenAction = 'enforce' | 'drop' | 'ignore';

export interface Settings {
  hostname: string;
  domains: string[];
  postmaster: string;
  /** SSL_TYPE: where the certificate comes from, and the checked copy the daemons read. */
  tls: TlsSettings;
  allowPlaintextAuth: boolean;
  loginProcessMode: LoginProcessMode;
  enableImap: boolean;
  enablePop3: boolean;
  enableManageSieve: boolean;
  /** POSTFIX_INET_PROTOCOLS, DOVECOT_INET_PROTOCOLS: the address families each listens on (Postfix also sends on). */
  inetProtocols: { postfix: InetProtocols; dovecot: InetProtocols };
  spoofProtection: boolean;
  /** PASSWORD_HASH_UPGRADE: a file account's weaker hash replaced by Argon2id at its next password sign-in. */
  passwordHashUpgrade: boolean;
  /** POSTSCREEN_ACTION: postscreen's answer to a client failing its tests on port 25. */
  postscreenAction: PostscreenAction;
  logLevel: LogLevel;
  /** DMS_VMAIL_UID, DMS_VMAIL_GID: the ids of vmail, who owns the mail (the ids a docker-mailserver volume's files carry). */
  vmail: { uid: number; gid: number };
  /** /var/log/mail/mail.log turned over this often, this many old ones kept (LOGROTATE_INTERVAL, LOGROTATE_COUNT). */
  mailLogRotation: { interval: LogRotationInterval; count: number };
  /** DMS_CONFIG_POLL: seconds between two looks at the config folder's relay tables and DKIM keys. */
  configFolderPollSeconds: number;
  /** What the start log (and `idmail config check`) warns about: allowed, but weaker than it should be. */
  warnings: string[];
  /** docker-mailserver's settings accepted without being read, each with what happens here instead (the start log). */
  notices: string[];
  /** PERMIT_DOCKER: which networks Postfix trusts to relay without signing in (docker-mailserver's values). */
  permitDocker: PermitDocker;
  /** PROXY protocol (HAProxy) expected on the mail ports from these networks; empty: off. */
  proxyProtocolNetworks: readonly string[];
  /** Dovecot's login_trusted_networks: a webmail or proxy here may pass on its client's address. */
  loginTrustedNetworks: readonly string[];
  /** Local accounts and aliases: the account source with ACCOUNT_PROVISIONER=FILE. */
  accountsFile: string;
  /** The account source instead, with ACCOUNT_PROVISIONER=LDAP: the directory accounts come from. */
  ldap: LdapSettings | undefined;
  oauth2: OAuth2Settings | undefined;
  /** rspamd as Postfix's milter (ENABLE_RSPAMD); undefined when an external filter does the work. */
  filter: FilterSettings | undefined;
  /** docker-mailserver's global Sieve scripts in its config folder (before.dovecot.sieve, after.dovecot.sieve). */
  dmsSieve: { before: boolean; after: boolean };
  /** SSL_TYPE=acme: the helper gets and renews the certificate itself; undefined otherwise. */
  acme: AcmeSettings | undefined;
  /** Who may sign in how and where, unless an account's own policy says otherwise. */
  signInDefaults: SignInPolicy;
  /** Mailbox size limits (ENABLE_QUOTAS); undefined when off: no quota anywhere. */
  quotas: QuotaSettings | undefined;
  /** Accounts the IdP brings into being: at the first valid token (jit) and/or by SCIM. */
  provisioning: ProvisioningSettings | undefined;
  /** The HTTPS listener of the self-service page and API and of SCIM; there when either is on. */
  https: { port: number } | undefined;
  /** The API (and page) where people manage their own app passwords with their IdP token. */
  selfService: { webClientId: string | undefined } | undefined;
  /** SCIM 2.0 on the HTTPS listener, for an IdP holding this bearer token. */
  scim: { token: string } | undefined;
  /** Failed sign-ins delayed, then refused (decided in the sign-in calls); undefined when off. */
  bruteForce: BruteForceSettings | undefined;
  /** App passwords made through self-service stop working when their owner has signed in with no token for this long. */
  appPasswordSuspendAfterSeconds: number;
  /** A plain-HTTP listener on all interfaces serving only /metrics; the helper's own (loopback) has it always. */
  metricsPort: number | undefined;
  /** POSTFIX_MESSAGE_SIZE_LIMIT: the largest message in bytes; 0: none. */
  messageSizeLimit: number;
  /** Outbound mail through a relay host (DEFAULT_RELAY_HOST, RELAY_HOST, RELAY_MAP); undefined: directly. */
  relay: RelaySettings | undefined;
  /** Per-account messages and recipients per hour on submission; undefined when both are off. */
  submissionRateLimit: SubmissionRateLimits | undefined;
  /** Fixed locations inside the image; not configurable. */
  paths: typeof PATHS;
  helper: { port: number; url: string };
}

interface ProvisioningSettings {
  /** OAUTH2_PROVISIONING=jit: an account is made at the first valid token. */
  jit: boolean;
  templates: ReadonlyMap<string, ProvisioningTemplate>;
  /** How long a deleted account's mail is kept before it is purged. */
  purgeAfterSeconds: number;
}

export interface BruteForceSettings {
  /** Failures count for this long. */
  windowSeconds: number;
  /** From this many failures in the window (per IP or per account), each answer is delayed. */
  delayAfter: number;
  /** This many failures from one IP in the window ban the IP. */
  banAfter: number;
  /** This many failures for one account in the window lock it to the networks it signed in from before (0: never). */
  accountBanAfter: number;
  /** The first ban's length; each repeat within a day doubles it, up to a day. */
  banSeconds: number;
  /** Networks never counted, delayed or banned as IPs (CIDR); their guesses still count against the account. */
  allowlist: readonly string[];
  /** IPv6 clients are counted per network of this prefix length. */
  ipv6Prefix: number;
}

export const PATHS = {
  mail: '/var/mail',
  state: '/var/mail-state',
  postfixQueue: '/var/mail-state/postfix',
  /** An empty queue Postfix laid out at image build time, copied into a new state volume. */
  postfixQueueSkeleton: '/opt/idmail/postfix-queue',
  dovecotConfig: '/etc/dovecot/dovecot.conf',
  dovecotBaseDir: '/run/dovecot',
  postfixConfigDir: '/etc/postfix',
  /** The Lua bridge, rendered with the wire contract's names. */
  luaScript: '/etc/dovecot/idmail-auth.lua',
  /** Sieve before every user's filters: drops a message delivered again after a crash (compiled at image build). */
  deduplicateSieve: '/usr/share/idmail/sieve/deduplicate.sieve',
  socketmap: '/run/idmail/postfix-maps.sock',
  /** DKIM keys made here, per domain (`<domain>/<selector>.key`), and the maps rspamd signs by. */
  dkimKeys: '/var/mail-state/dkim',
  /** Keys brought along (`<domain>/<selector>.key`, e.g. from a previous server): used instead of making one. */
  mountedDkimKeys: '/etc/idmail/dkim',
  /** rspamd's site settings; the static ones come with the image, the rendered ones are written at start. */
  rspamdLocalConfig: '/etc/rspamd/local.d',
  /** …and those that must win over rspamd's own defaults. */
  rspamdOverrideConfig: '/etc/rspamd/override.d',
  /** Where Postfix reaches rspamd (its proxy worker in milter mode). */
  milterSocket: '/run/rspamd/milter.sock',
  /** Sieve before every user's filters: mail rspamd marked as spam goes to Junk (compiled at image build). */
  junkSieve: '/usr/share/idmail/sieve/spam-to-junk.sieve',
  /** Sieve before that one, with SPAM_SUBJECT: the prefix added to such mail's subject (rendered and compiled at start). */
  spamSubjectSieve: '/etc/dovecot/spam-subject.sieve',
  /** docker-mailserver's before.dovecot.sieve and after.dovecot.sieve, copied here and compiled at start. */
  dmsSieveBefore: '/etc/dovecot/dms-before.sieve',
  dmsSieveAfter: '/etc/dovecot/dms-after.sieve',
  /** Valkey's socket (rspamd's Redis; its run script makes it, its data is on the state volume). */
  valkeySocket: '/run/valkey/valkey.sock',
  /** Postfix's policy delegation for the submission rate limit (beside the socketmap, so group postfix too). */
  postfixPolicy: POSTFIX_POLICY_SOCKET,
  /** docker-mailserver's config folder, where its users mount it: its postfix-accounts.cf, when there, holds the accounts. */
  dmsConfigFolder: DMS_CONFIG_FOLDER,
  /** The helper's own directory on the state volume (its user's alone). */
  helperState: '/var/mail-state/idmail',
  /** PASSWORD_HASH_UPGRADE: the Argon2id hashes the helper made at sign-in, for root to put into the accounts file. */
  hashUpgradeQueue: '/var/mail-state/idmail/hash-upgrades',
  /** App passwords, sign-in policies, identity bindings, provisioned accounts (SQLite). */
  stateDatabase: '/var/mail-state/idmail/idmail.db',
  /** Where the state database lived before the helper ran as a user of its own (moved at start). */
  legacyStateDatabase: '/var/mail-state/idmail.db',
  /** The helper's copy of the certificate and key for its HTTPS listener (it cannot read root's key). */
  helperTls: '/run/idmail-helper-tls',
  templates: '/usr/share/idmail/templates',
  /** The image's s6 service tree, copied to `services` (s6-svscan's scan directory) at every start. */
  serviceTemplates: '/usr/share/idmail/services',
  services: '/run/idmail-s6/service',
  /** Made by the stop script: a daemon ending now is no news. */
  stoppingMarker: '/run/idmail-s6/stopping',
  /** Dovecot's and Postfix's lines, where docker-mailserver keeps them (rsyslog writes it, logrotate turns it over). */
  mailLog: '/var/log/mail/mail.log',
  rsyslogConfig: '/etc/rsyslog.conf',
  /**
   * The environment prepare resolved, handed to the helper and the purger on standard input; the helper may
   * read it again (a reload), never write it.
   */
  handedEnvironment: '/run/idmail-handed/environment.json',
  /** The container's environment as it came (`<VAR>__FILE` unresolved), root's alone: a config-folder sync resolves it anew. */
  containerEnvironment: '/run/idmail-s6/container-environment.json',
} as const;

const HELPER_PORT = 8800;

/** Control characters a value may carry into a problem, shown escaped so one problem stays one log line. */
const escapeControls = (problem: string) =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping control characters is its purpose
  problem.replace(/[\u0000-\u001f\u007f]/g, (char) => JSON.stringify(char).slice(1, -1));

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    const lines = problems.map(escapeControls);
    super(`invalid configuration:\n${lines.map((problem) => `  - ${problem}`).join('\n')}`);
    this.problems = lines;
  }
}

const provisioningTemplates = makeValidator<Map<string, ProvisioningTemplate>>(parseTemplates);

/**
 * Every variable idmail reads (with oauth2Specs and ldapSpecs), and what the docs say of it:
 * docs/configuration.md is generated from desc, example, defaultText and whenUnset.
 */
export const variableSpecs = {
  OVERRIDE_HOSTNAME: fullyQualifiedHostName({
    default: undefined,
    whenUnset: "the container's hostname",
    desc:
      "The server's name, fully qualified as docker-mailserver requires (without it the container's hostname must " +
      'be): HELO, banners, the self-signed certificate',
    example: 'mail.example.org',
  }),
  MAIL_DOMAINS: domainList({
    default: [],
    desc:
      'Domains this server receives mail for, comma or space separated; the domains of accounts and aliases are ' +
      'served too (with LDAP: those the domain filter finds)',
    example: 'example.org, example.net',
  }),
  POSTMASTER_ADDRESS: mailAddress({
    default: undefined,
    whenUnset: "postmaster at the first of `MAIL_DOMAINS`, else at the hostname's domain",
    desc:
      'Who gets mail for postmaster@ and abuse@ of every served domain that no account or alias has, and ' +
      "Postfix's notices; Dovecot's postmaster address",
    example: 'admin@example.org',
  }),
  ...tlsSpecs,
  ALLOW_PLAINTEXT_AUTH: flag({
    default: false,
    desc:
      'Allow IMAP, POP3 and ManageSieve sign-in without TLS from non-local clients (not recommended; SMTP ' +
      'submission always needs TLS)',
    example: '1',
  }),
  LOGIN_PROCESS_MODE: choice<LoginProcessMode>(['performance', 'security'])({
    default: 'performance',
    desc:
      'Dovecot login processes: `performance` reuses them (about 10× more sign-ins per second), `security` starts ' +
      'one per connection',
    example: 'security',
  }),
  ENABLE_IMAP: flag({ default: true, desc: 'IMAP on ports 143 and 993', example: '0' }),
  ENABLE_POP3: flag({ default: true, desc: 'POP3 on ports 110 and 995', example: '0' }),
  ENABLE_MANAGESIEVE: flag({ default: true, desc: 'ManageSieve on port 4190', example: '0' }),
  SMTP_ONLY: flag({
    default: false,
    desc:
      "docker-mailserver's SMTP-only server: IMAP, POP3 and ManageSieve closed whatever ENABLE_IMAP, ENABLE_POP3 and " +
      'ENABLE_MANAGESIEVE say; Dovecot still signs SMTP in and delivers to the mailboxes',
    example: '1',
  }),
  POSTSCREEN_ACTION: choice<PostscreenAction>(['enforce', 'drop', 'ignore'])({
    default: 'enforce',
    desc:
      "What Postfix's postscreen does on port 25 with a client that talks before its turn: `enforce` refuses its " +
      'mail with 550 (after logging sender and recipient), `drop` hangs up with 521, `ignore` only logs it',
    example: 'drop',
  }),
  SPOOF_PROTECTION: flag({
    default: true,
    desc: 'A signed-in user may send only as their own addresses and aliases',
    example: '0',
  }),
  LOG_LEVEL: choice<LogLevel>(['error', 'warn', 'info', 'debug', 'trace'])({
    default: 'info',
    desc: "How much is logged; `debug` and `trace` add Dovecot's auth_verbose (never auth_debug, which logs tokens)",
    example: 'debug',
  }),
  DMS_VMAIL_UID: accountId({
    default: 5000,
    desc: "The user id of vmail, who owns the mail (docker-mailserver's name); the files of the mail volume must carry it",
    example: '1000',
  }),
  DMS_VMAIL_GID: accountId({
    default: 5000,
    desc: "vmail's group id (docker-mailserver's name)",
    example: '1000',
  }),
  LOGROTATE_INTERVAL: choice<LogRotationInterval>(['daily', 'weekly', 'monthly'])({
    default: 'weekly',
    desc:
      "How often `/var/log/mail/mail.log` (Dovecot's and Postfix's lines, as docker-mailserver keeps them; also " +
      'on standard output) is turned over',
    example: 'daily',
  }),
  DMS_CONFIG_POLL: seconds({
    default: 2,
    desc:
      "How often, in seconds, docker-mailserver's relay tables and DKIM keys in its config folder are looked at " +
      'for a change, which then applies without a restart (the accounts files are watched, not polled); at least 1',
    example: '10',
  }),
  LOGROTATE_COUNT: wholeNumber({
    default: 4,
    desc: 'How many turned-over mail logs are kept (`mail.log.1`, then compressed: `mail.log.2.gz`, …)',
    example: '14',
  }),
  POSTFIX_INET_PROTOCOLS: choice<InetProtocols>(['all', 'ipv4', 'ipv6'])({
    default: 'all',
    desc: 'The address families Postfix listens and sends on',
    example: 'ipv4',
  }),
  DOVECOT_INET_PROTOCOLS: choice<InetProtocols>(['all', 'ipv4', 'ipv6'])({
    default: 'all',
    desc: 'The address families Dovecot (IMAP, POP3, ManageSieve) listens on',
    example: 'ipv4',
  }),
  ACCOUNTS_FILE: absolutePath({
    default: '/etc/idmail/accounts.yaml',
    desc: 'Local accounts and aliases (with `ACCOUNT_PROVISIONER=FILE`)',
    example: '/etc/idmail/users.yaml',
  }),
  OAUTH2_PROVISIONING: choice<'off' | 'jit'>(['off', 'jit'])({
    default: 'off',
    desc: 'Create an account at its first valid token (`jit`); needs `ENABLE_OAUTH2=1` and `ACCOUNT_PROVISIONER=FILE`',
    example: 'jit',
  }),
  PROVISIONING_TEMPLATES: provisioningTemplates({
    default: parseTemplates(DEFAULT_TEMPLATES),
    defaultText: DEFAULT_TEMPLATES,
    desc:
      'What provisioned accounts get: `name:quota:protocols` entries separated by `;`, the quota `unlimited` or ' +
      'a size (`500M`, `5G`); one named `default` is required',
    example: 'default:5G:imap,smtp;staff:20G:imap,pop3,smtp,sieve',
  }),
  ENABLE_SELF_SERVICE: flag({
    default: undefined,
    whenUnset: 'on with `ENABLE_OAUTH2=1`, except with a userinfo `OAUTH2_INTROSPECTION_URL`',
    desc: 'The HTTPS page and API where people manage their own app passwords; needs `ENABLE_OAUTH2=1`',
    example: '0',
  }),
  HTTPS_PORT: num({
    default: 8443,
    desc: 'The HTTPS port of the self-service page and API and of SCIM (open when either is on)',
    example: '9443',
  }),
  SCIM_TOKEN: secret({
    default: undefined,
    whenUnset: 'SCIM off',
    desc:
      "Bearer token of the IdP's SCIM client, 32 to 512 printable characters (`openssl rand -hex 32`), best read " +
      'from a file (`SCIM_TOKEN__FILE`); turns on SCIM 2.0 at `https://<host>:<HTTPS_PORT>/scim/v2`; needs ' +
      '`ACCOUNT_PROVISIONER=FILE`',
  }),
  PROVISIONING_PURGE_AFTER: duration({
    default: 30 * 86_400,
    defaultText: '30d',
    desc: 'How long the mail of an account the IdP deleted is kept before it is purged',
    example: '90d',
  }),
  SELF_SERVICE_CLIENT_ID: token({
    default: undefined,
    whenUnset: 'none: the API works, the page says it is not configured',
    desc: "The self-service page's public client at the IdP",
    example: 'idmail-self-service',
  }),
  METRICS_PORT: num({
    default: undefined,
    whenUnset: 'loopback only',
    desc: 'Also serve `/metrics` on this port on all interfaces (plain HTTP)',
    example: '9100',
  }),
  BRUTE_FORCE_PROTECTION: flag({
    default: true,
    desc: 'The defence against password guessing as a whole',
    example: '0',
  }),
  BRUTE_FORCE_WINDOW: duration({
    default: 15 * 60,
    defaultText: '15m',
    desc: 'How long a failed sign-in counts',
    example: '1h',
  }),
  BRUTE_FORCE_DELAY_AFTER: wholeNumber({
    default: 5,
    desc: 'Failures (per network or account) from which each answer is delayed',
    example: '3',
  }),
  BRUTE_FORCE_BAN_AFTER: wholeNumber({
    default: 20,
    desc: 'Failures from one network that ban it (at least 1)',
    example: '10',
  }),
  BRUTE_FORCE_ACCOUNT_BAN_AFTER: wholeNumber({
    default: 100,
    desc: 'Failures for one account that lock it to the networks it signed in from before; `0`: never',
    example: '0',
  }),
  BRUTE_FORCE_BAN_TIME: duration({
    default: 15 * 60,
    defaultText: '15m',
    desc: "The first ban's length; doubled on each repeat within a day, at most a day",
    example: '1h',
  }),
  BRUTE_FORCE_ALLOWLIST: cidrList({
    default: ['127.0.0.0/8', '::1'],
    desc: 'Networks (CIDR) never delayed or banned as networks; their guesses still count against accounts',
    example: '127.0.0.0/8,::1,192.168.10.0/24',
  }),
  BRUTE_FORCE_IPV6_PREFIX: wholeNumber({
    default: 64,
    desc: 'IPv6 clients are counted per network of this prefix length (1 to 128)',
    example: '56',
  }),
  PASSWORD_HASH_UPGRADE: flag({
    default: false,
    desc:
      "An account of the accounts file (or of docker-mailserver's postfix-accounts.cf) whose password hash is " +
      'not Argon2id (SHA512-CRYPT, BLF-CRYPT, …) gets an Argon2id hash of its password at its next successful ' +
      'sign-in, written into the file within 10 s (its comments are not kept)',
    example: '1',
  }),
  APP_PASSWORD_SUSPEND_AFTER: duration({
    default: 30 * 86_400,
    defaultText: '30d',
    desc:
      'An app password made through self-service stops working when its owner has had no token sign-in for this ' +
      'long, and works again after the next (1h to 365d)',
    example: '90d',
  }),
  PERMIT_DOCKER: choice<PermitDocker>(PERMIT_DOCKER_VALUES)({
    default: 'none',
    desc:
      "Networks that relay mail without signing in (docker-mailserver's values); any but `none` is warned about " +
      'at every start',
    example: 'network',
  }),
  PROXY_PROTOCOL_NETWORKS: cidrList({
    default: [],
    desc: 'Proxies whose PROXY header Dovecot accepts; turns on the PROXY ports (each mail port + 10000)',
    example: '172.18.0.10',
  }),
  LOGIN_TRUSTED_NETWORKS: cidrList({
    default: [],
    desc: 'Webmails and proxies whose IMAP ID `x-originating-ip` Dovecot takes as the client address',
    example: '172.18.0.0/16',
  }),
  AUTH_METHODS: choiceList<SignInMethod>(SIGN_IN_METHODS)({
    default: [...SIGN_IN_METHODS],
    desc:
      "How anyone may sign in: `token` (an OAuth2 access token), `app-password`, `password` (the account's own, " +
      'in the accounts file or the directory); `idmail policy` sets other ones per account',
    example: 'token,app-password',
  }),
  AUTH_PROTOCOLS: choiceList<SignInProtocol>(SIGN_IN_PROTOCOLS)({
    default: [...SIGN_IN_PROTOCOLS],
    desc: 'Where anyone may sign in at all: `smtp` is submission (587, 465), `sieve` ManageSieve',
    example: 'imap,smtp',
  }),
  ...oauth2Specs,
  ...ldapSpecs,
  ...quotaSpecs,
  ...acmeSpecs,
  ...rateLimitSpecs,
  ...relaySpecs,
  ...mailFlowSpecs,
  ...filterSpecs,
};

type CleanEnv = CleanedEnv<typeof variableSpecs>;

/** Reads and validates the environment once; every problem is reported, none is guessed around. */
export function loadSettings(processEnv: NodeJS.ProcessEnv = process.env): Settings {
  const { env: resolved, problems } = resolveFileVariables(processEnv);
  const schema = dmsLdapSchema(resolved, processEnv);
  const raw = schema.env;
  let env: CleanEnv | undefined;
  try {
    // customCleanEnv without middleware: no strict proxy, so values that failed read as undefined.
    env = customCleanEnv(raw, variableSpecs, (cleaned) => cleaned, {
      reporter: ({ errors }) => {
        for (const [name, error] of Object.entries(errors)) {
          if (error) problems.push(`${name}: ${error.message}`);
        }
      },
    });
  } catch (error) {
    problems.push((error as Error).message);
  }
  const dms = dmsVariableReport(raw);
  const folder = dmsConfigFolderReport(PATHS.dmsConfigFolder);
  problems.push(...dms.problems, ...folder.problems, ...misspeltVariableProblems(raw, Object.keys(variableSpecs)));
  problems.push(...containerHostnameProblems(raw.OVERRIDE_HOSTNAME, osHostname()));
  if (env === undefined) throw new ConfigError(problems);
  // Cross-variable checks run even when single values failed, so every problem is reported at once.
  problems.push(...crossVariableProblems(env));
  if (problems.length > 0) throw new ConfigError(problems);
  const notices = [
    ...differingDefaultNotices(processEnv),
    ...schema.notices,
    ...dms.notices,
    ...folder.notices,
    ...smtpOnlyNotices(env),
  ];
  return { ...toSettings(env), notices };
}

/** docker-mailserver runs no Dovecot with SMTP_ONLY=1; here it still has work: said once at start. */
const smtpOnlyNotices = (env: CleanEnv): string[] =>
  env.SMTP_ONLY
    ? [
        'SMTP_ONLY=1: IMAP, POP3 and ManageSieve are closed; Dovecot still runs, for SMTP sign-in and delivery into the mailboxes (docker-mailserver runs no Dovecot then)',
      ]
    : [];

function crossVariableProblems(env: CleanEnv): string[] {
  const problems: string[] = [];
  problems.push(...tlsProblems(env));
  if (env.DMS_CONFIG_POLL === 0)
    problems.push('DMS_CONFIG_POLL: 0 would look at the config folder without a pause; allowed: 1 second or more');
  problems.push(...oauth2Problems(env));
  if (env.OAUTH2_PROVISIONING === 'jit' && (!env.ENABLE_OAUTH2 || env.ACCOUNT_PROVISIONER === 'ldap')) {
    problems.push(
      'OAUTH2_PROVISIONING: jit needs ENABLE_OAUTH2=1 and accounts kept here (ACCOUNT_PROVISIONER=FILE); allowed: off, or those settings',
    );
  }
  if (env.ENABLE_SELF_SERVICE && !env.ENABLE_OAUTH2) {
    problems.push(
      'ENABLE_SELF_SERVICE: is on but ENABLE_OAUTH2 is not; allowed: ENABLE_OAUTH2=1 (the API signs people in with their IdP token), or ENABLE_SELF_SERVICE=0',
    );
  }
  if (env.SCIM_TOKEN !== undefined && env.ACCOUNT_PROVISIONER === 'ldap') {
    problems.push(
      'SCIM_TOKEN: SCIM creates accounts here, but they come from LDAP (ACCOUNT_PROVISIONER=LDAP); allowed: unset, or ACCOUNT_PROVISIONER=FILE',
    );
  }
  problems.push(...portProblems('HTTPS_PORT', env.HTTPS_PORT, []));
  if (env.METRICS_PORT !== undefined)
    problems.push(...portProblems('METRICS_PORT', env.METRICS_PORT, [env.HTTPS_PORT]));
  if (env.BRUTE_FORCE_BAN_AFTER < 1)
    problems.push('BRUTE_FORCE_BAN_AFTER: "0" would ban at once; allowed: 1 or more (or BRUTE_FORCE_PROTECTION=0)');
  if (env.BRUTE_FORCE_IPV6_PREFIX < 1 || env.BRUTE_FORCE_IPV6_PREFIX > 128) {
    problems.push(
      `BRUTE_FORCE_IPV6_PREFIX: "${env.BRUTE_FORCE_IPV6_PREFIX}" is no IPv6 prefix length; allowed: 1 to 128 (64: one customer's network)`,
    );
  }
  if (env.APP_PASSWORD_SUSPEND_AFTER < 3600 || env.APP_PASSWORD_SUSPEND_AFTER > 365 * 86_400) {
    problems.push(
      'APP_PASSWORD_SUSPEND_AFTER: is out of range; allowed: 1h to 365d (an app password must not outlive its owner at the IdP for longer)',
    );
  }
  problems.push(...ldapProblems(env));
  problems.push(...filterProblems(env));
  problems.push(...relayProblems(env));
  problems.push(...acmeProblems(env));
  return problems;
}

function portProblems(name: string, port: number, taken: number[]): string[] {
  const reserved = [25, 110, 143, 465, 587, 993, 995, 4190, HELPER_PORT, ...taken];
  if (Number.isInteger(port) && port >= 1 && port <= 65535 && !reserved.includes(port)) return [];
  return [
    `${name}: "${port}" is not a free port; allowed: 1-65535 except the mail ports, ${HELPER_PORT}${taken.length > 0 ? ' and HTTPS_PORT' : ''}`,
  ];
}

function toSettings(env: CleanEnv): Omit<Settings, 'notices'> {
  const hostname = env.OVERRIDE_HOSTNAME ?? osHostname().toLowerCase();
  const domains = env.MAIL_DOMAINS;
  const firstDomain = domains[0] ?? hostname.split('.').slice(1).join('.');
  return {
    hostname,
    domains,
    postmaster: env.POSTMASTER_ADDRESS ?? `postmaster@${firstDomain || hostname}`,
    tls: tlsSettings(env, hostname),
    allowPlaintextAuth: env.ALLOW_PLAINTEXT_AUTH,
    loginProcessMode: env.LOGIN_PROCESS_MODE,
    enableImap: env.ENABLE_IMAP && !env.SMTP_ONLY,
    enablePop3: env.ENABLE_POP3 && !env.SMTP_ONLY,
    enableManageSieve: env.ENABLE_MANAGESIEVE && !env.SMTP_ONLY,
    inetProtocols: { postfix: env.POSTFIX_INET_PROTOCOLS, dovecot: env.DOVECOT_INET_PROTOCOLS },
    spoofProtection: env.SPOOF_PROTECTION,
    postscreenAction: env.POSTSCREEN_ACTION,
    passwordHashUpgrade: env.PASSWORD_HASH_UPGRADE,
    logLevel: env.LOG_LEVEL,
    mailLogRotation: { interval: env.LOGROTATE_INTERVAL, count: env.LOGROTATE_COUNT },
    configFolderPollSeconds: env.DMS_CONFIG_POLL,
    vmail: { uid: env.DMS_VMAIL_UID, gid: env.DMS_VMAIL_GID },
    warnings: warningsOf(env),
    permitDocker: env.PERMIT_DOCKER,
    proxyProtocolNetworks: env.PROXY_PROTOCOL_NETWORKS,
    loginTrustedNetworks: env.LOGIN_TRUSTED_NETWORKS,
    accountsFile: env.ACCOUNTS_FILE,
    ldap: ldapSettings(env),
    oauth2: env.ENABLE_OAUTH2 ? oauth2Settings(env) : undefined,
    filter: filterSettings(env),
    dmsSieve: {
      before: existsSync(join(PATHS.dmsConfigFolder, DMS_SIEVE_FILES.before)),
      after: existsSync(join(PATHS.dmsConfigFolder, DMS_SIEVE_FILES.after)),
    },
    acme: acmeSettings(env, hostname),
    signInDefaults: { methods: env.AUTH_METHODS, protocols: env.AUTH_PROTOCOLS },
    quotas: quotaSettings(env),
    provisioning: provisioningSettings(env),
    https: selfServiceOn(env) || env.SCIM_TOKEN !== undefined ? { port: env.HTTPS_PORT } : undefined,
    selfService: selfServiceOn(env) ? { webClientId: env.SELF_SERVICE_CLIENT_ID } : undefined,
    scim: env.SCIM_TOKEN === undefined ? undefined : { token: env.SCIM_TOKEN },
    bruteForce: env.BRUTE_FORCE_PROTECTION ? bruteForceSettings(env) : undefined,
    appPasswordSuspendAfterSeconds: env.APP_PASSWORD_SUSPEND_AFTER,
    metricsPort: env.METRICS_PORT,
    submissionRateLimit: rateLimitSettings(env),
    messageSizeLimit: env.POSTFIX_MESSAGE_SIZE_LIMIT,
    relay: relaySettings(env),
    paths: PATHS,
    helper: { port: HELPER_PORT, url: `http://127.0.0.1:${HELPER_PORT}` },
  };
}

function bruteForceSettings(env: CleanEnv): BruteForceSettings {
  return {
    windowSeconds: env.BRUTE_FORCE_WINDOW,
    delayAfter: env.BRUTE_FORCE_DELAY_AFTER,
    banAfter: env.BRUTE_FORCE_BAN_AFTER,
    accountBanAfter: env.BRUTE_FORCE_ACCOUNT_BAN_AFTER,
    banSeconds: env.BRUTE_FORCE_BAN_TIME,
    allowlist: env.BRUTE_FORCE_ALLOWLIST,
    ipv6Prefix: env.BRUTE_FORCE_IPV6_PREFIX,
  };
}

/**
 * Self-service is on with OAuth2, except where tokens go to a userinfo call (docker-mailserver's mode):
 * there any token the IdP issued to any client would manage app passwords, so only an explicit switch turns it on.
 */
const selfServiceOn = (env: CleanEnv): boolean => env.ENABLE_SELF_SERVICE ?? (env.ENABLE_OAUTH2 && !userinfoMode(env));

function warningsOf(env: CleanEnv): string[] {
  const warnings = [
    ...oauth2Warnings(env),
    ...tlsWarnings(env),
    ...mailFlowWarnings(env),
    ...quotaWarnings(env),
    ...filterWarnings(env),
  ];
  if (env.ENABLE_OAUTH2 && userinfoMode(env) && env.ENABLE_SELF_SERVICE === true) {
    warnings.push(
      'ENABLE_SELF_SERVICE=1 with a userinfo OAUTH2_INTROSPECTION_URL: a token issued to any client of the IdP manages app passwords here',
    );
  }
  if (env.PERMIT_DOCKER !== 'none')
    warnings.push(
      `PERMIT_DOCKER=${env.PERMIT_DOCKER}: clients on those networks send mail anywhere without signing in`,
    );
  return warnings;
}

function provisioningSettings(env: CleanEnv): ProvisioningSettings | undefined {
  const jit = env.ENABLE_OAUTH2 && env.OAUTH2_PROVISIONING === 'jit';
  if (!jit && env.SCIM_TOKEN === undefined) return undefined;
  return { jit, templates: env.PROVISIONING_TEMPLATES, purgeAfterSeconds: env.PROVISIONING_PURGE_AFTER };
}
