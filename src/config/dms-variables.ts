/**
 * Every environment variable docker-mailserver (DMS) documents, at its Debian 13 / Dovecot 2.4 release
 * (docs/content/config/environment.md and mailserver.env), with the default DMS documents and what
 * idmail does with it. Nothing a DMS env block carries is ignored without a word:
 * - `ours`: idmail reads it, with DMS's meaning (its spec is in settings.ts); where unset means another,
 *   safer thing here, `unsetDiffers` says so, and a DMS-shaped environment that leaves it unset is told once;
 * - `notice`: harmless here; accepted, and the start log says in one line what happens instead;
 * - `accepted-as`: accepted at the values that ask for what idmail does anyway, refused at any other;
 * - `same-as`: accepted when it says what one of ours says (or is unset), refused when it points elsewhere;
 * - `refused`: any value stops the start.
 * `here` says what idmail does instead; the refusal names the variable and points to the migration guide.
 */
type DmsDecision =
  | { kind: 'ours'; unsetDiffers?: string }
  | { kind: 'notice'; here: string }
  | { kind: 'accepted-as'; values: readonly string[]; here: string }
  | { kind: 'same-as'; ours: string; here: string }
  | { kind: 'refused'; here: string };

export interface DmsVariable {
  /** DMS's documented default; empty: unset (DMS's own `${VAR:=}`), or derived from another variable. */
  dmsDefault: string;
  decision: DmsDecision;
}

const ours = (dmsDefault: string, unsetDiffers?: string): DmsVariable => ({
  dmsDefault,
  decision: unsetDiffers === undefined ? { kind: 'ours' } : { kind: 'ours', unsetDiffers },
});
const notice = (dmsDefault: string, here: string): DmsVariable => ({
  dmsDefault,
  decision: { kind: 'notice', here },
});
const acceptedAs = (dmsDefault: string, values: readonly string[], here: string): DmsVariable => ({
  dmsDefault,
  decision: { kind: 'accepted-as', values, here },
});
/** A switch for something idmail does not do: accepted while off. */
const offOnly = (here: string): DmsVariable => acceptedAs('0', ['0'], here);
const sameAs = (oursName: string, here: string): DmsVariable => ({
  dmsDefault: '',
  decision: { kind: 'same-as', ours: oursName, here },
});
const refused = (dmsDefault: string, here: string): DmsVariable => ({
  dmsDefault,
  decision: { kind: 'refused', here },
});

const RSPAMD_FILTERS =
  'rspamd (ENABLE_RSPAMD) checks SPF, DKIM and DMARC, scores spam and signs outbound mail with DKIM';
const ONLY_WITH_SASLAUTHD =
  'read only with ENABLE_SASLAUTHD=1, which idmail refuses (SMTP signs in through the helper)';
const NO_REPORTS = 'idmail mails no log reports; its Prometheus metrics (METRICS_PORT) and the log take their place';

export const DMS_VARIABLES: Readonly<Record<string, DmsVariable>> = {
  // General
  OVERRIDE_HOSTNAME: ours(''),
  LOG_LEVEL: ours('info'),
  SUPERVISOR_LOGLEVEL: notice('warn', 's6 supervises the daemons here; their lines follow LOG_LEVEL'),
  DMS_VMAIL_UID: ours('5000'),
  DMS_VMAIL_GID: ours('5000'),
  ACCOUNT_PROVISIONER: ours('FILE'),
  POSTMASTER_ADDRESS: ours(''),
  PERMIT_DOCKER: ours('none'),
  TZ: notice('', "passed to the daemons, whose log lines carry its time (the helper's JSON lines stay in UTC)"),
  NETWORK_INTERFACE: notice('eth0', "PERMIT_DOCKER reads the container's own addresses, of every interface"),
  TLS_LEVEL: acceptedAs('modern', ['modern'], 'TLS 1.2 and 1.3 with modern ciphers only'),
  SPOOF_PROTECTION: ours('0', 'on here (a signed-in user sends only as their own addresses), off in docker-mailserver'),
  ENABLE_SRS: offOnly('no sender rewriting (SRS); forwarded mail keeps its envelope sender'),
  ENABLE_OPENDKIM: ours('1'),
  ENABLE_OPENDMARC: ours('1'),
  ENABLE_POLICYD_SPF: ours('1'),
  ENABLE_POP3: ours('0', 'POP3 is on here, with the same sign-in and TLS rules as IMAP; off in docker-mailserver'),
  ENABLE_IMAP: ours('1'),
  ENABLE_CLAMAV: offOnly('no virus scanner; rspamd scores attachments by their types and names'),
  SPAM_SUBJECT: ours(''),
  ENABLE_RSPAMD: ours(
    '0',
    'rspamd is on here (unless every docker-mailserver filter switch is 0 too); off in docker-mailserver, where OpenDKIM, OpenDMARC, policyd-spf and Amavis are on instead',
  ),
  ENABLE_RSPAMD_REDIS: ours('0'),
  RSPAMD_LEARN: offOnly(
    'no learning from moves into Junk; with ENABLE_RSPAMD_REDIS=1, `rspamc learn_spam` learns by hand',
  ),
  RSPAMD_CHECK_AUTHENTICATED: offOnly('mail of signed-in users is DKIM-signed, not scored'),
  RSPAMD_GREYLISTING: ours('0'),
  RSPAMD_HFILTER: acceptedAs('1', ['1'], "rspamd's hostname checks (hfilter) are on"),
  RSPAMD_HFILTER_HOSTNAME_UNKNOWN_SCORE: notice(
    '6',
    "rspamd's own score for a client without a resolvable hostname stands",
  ),
  RSPAMD_NEURAL: offOnly("no neural network module; rspamd's statistics (with ENABLE_RSPAMD_REDIS=1) learn instead"),
  ENABLE_AMAVIS: ours('1'),
  AMAVIS_LOGLEVEL: notice('0', 'no Amavis here: rspamd filters, logging at LOG_LEVEL'),
  ENABLE_DNSBL: acceptedAs('0', ['0', '1'], 'rspamd checks DNS block lists as part of its score, whatever this says'),
  ENABLE_FAIL2BAN: acceptedAs(
    '0',
    ['0', '1'],
    'the brute-force defence (BRUTE_FORCE_PROTECTION, on by default) blocks addresses that keep failing to sign in, without iptables',
  ),
  FAIL2BAN_BLOCKTYPE: notice(
    'drop',
    'a blocked address is refused at sign-in (BRUTE_FORCE_PROTECTION), not dropped by iptables',
  ),
  ENABLE_MANAGESIEVE: ours(
    '0',
    'ManageSieve is on here, with the same sign-in and TLS rules as IMAP; off in docker-mailserver',
  ),
  POSTSCREEN_ACTION: ours('enforce'),
  SMTP_ONLY: ours('0'),
  // TLS
  SSL_TYPE: ours('', 'a self-signed certificate here (manual with SSL_CERT_PATH); no TLS at all in docker-mailserver'),
  SSL_CERT_PATH: ours(''),
  SSL_KEY_PATH: ours(''),
  SSL_ALT_CERT_PATH: refused(
    '',
    'one certificate and key (SSL_CERT_PATH, SSL_KEY_PATH); an ECDSA one alone serves modern clients',
  ),
  SSL_ALT_KEY_PATH: refused(
    '',
    'one certificate and key (SSL_CERT_PATH, SSL_KEY_PATH); an ECDSA one alone serves modern clients',
  ),
  VIRUSMAILS_DELETE_DELAY: notice('7', 'no virus scanner, so no quarantine to clean'),
  // Postfix and Dovecot
  POSTFIX_DAGENT: refused('', 'Postfix delivers to Dovecot over LMTP'),
  POSTFIX_MAILBOX_SIZE_LIMIT: ours('0'),
  ENABLE_QUOTAS: ours('1'),
  POSTFIX_MESSAGE_SIZE_LIMIT: ours('10240000'),
  CLAMAV_MESSAGE_SIZE_LIMIT: notice('25M', 'no virus scanner'),
  POSTFIX_REJECT_UNKNOWN_CLIENT_HOSTNAME: offOnly(
    'a client without a resolvable hostname is scored by rspamd (hfilter), not refused',
  ),
  POSTFIX_INET_PROTOCOLS: ours('all'),
  DOVECOT_INET_PROTOCOLS: ours('all'),
  DOVECOT_MAILBOX_FORMAT: acceptedAs('maildir', ['maildir'], 'mailboxes are Maildir'),
  ENABLE_MTA_STS: offOnly('Postfix does not look up the MTA-STS policies of the domains it sends to; DANE neither'),
  // Reports and logs
  PFLOGSUMM_TRIGGER: acceptedAs('none', ['none'], NO_REPORTS),
  PFLOGSUMM_RECIPIENT: notice('', NO_REPORTS),
  PFLOGSUMM_SENDER: notice('', NO_REPORTS),
  LOGWATCH_INTERVAL: acceptedAs('none', ['none'], NO_REPORTS),
  LOGWATCH_RECIPIENT: notice('', NO_REPORTS),
  LOGWATCH_SENDER: notice('', NO_REPORTS),
  REPORT_RECIPIENT: notice('', NO_REPORTS),
  REPORT_SENDER: notice('', NO_REPORTS),
  LOGROTATE_INTERVAL: ours('weekly'),
  LOGROTATE_COUNT: ours('4'),
  ENABLE_UPDATE_CHECK: notice('1', "idmail does not look for updates; follow the image's releases"),
  UPDATE_CHECK_INTERVAL: notice('1d', "idmail does not look for updates; follow the image's releases"),
  DMS_CONFIG_POLL: ours('2'),
  // SpamAssassin
  ENABLE_SPAMASSASSIN: ours('0'),
  ENABLE_SPAMASSASSIN_KAM: offOnly(`no SpamAssassin rules; ${RSPAMD_FILTERS}`),
  SPAMASSASSIN_SPAM_TO_INBOX: acceptedAs(
    '1',
    ['1'],
    'spam is delivered, marked (and filed into Junk, MOVE_SPAM_TO_JUNK); only what rspamd scores as certain spam is refused at SMTP time',
  ),
  MOVE_SPAM_TO_JUNK: ours('1'),
  MARK_SPAM_AS_READ: offOnly('spam filed into Junk stays unread'),
  SA_TAG: acceptedAs('2.0', ['2.0'], "rspamd's own thresholds: X-Spam from 6, refused from 15"),
  SA_TAG2: acceptedAs('6.31', ['6.31'], "rspamd's own thresholds: X-Spam from 6, refused from 15"),
  SA_KILL: acceptedAs('10.0', ['10.0'], "rspamd's own thresholds: X-Spam from 6, refused from 15"),
  SA_SHORTCIRCUIT_BAYES_HAM: notice('1', 'no SpamAssassin; rspamd scores'),
  SA_SHORTCIRCUIT_BAYES_SPAM: notice('1', 'no SpamAssassin; rspamd scores'),
  // Fetchmail and getmail
  ENABLE_FETCHMAIL: offOnly('no mail fetched from other servers'),
  FETCHMAIL_POLL: notice('300', 'no mail fetched from other servers'),
  FETCHMAIL_PARALLEL: notice('0', 'no mail fetched from other servers'),
  ENABLE_GETMAIL: offOnly('no mail fetched from other servers'),
  GETMAIL_POLL: notice('5', 'no mail fetched from other servers'),
  // OAuth2
  ENABLE_OAUTH2: ours('0'),
  OAUTH2_INTROSPECTION_URL: ours(''),
  // LDAP
  LDAP_START_TLS: ours('no'),
  LDAP_SERVER_HOST: ours(''),
  LDAP_SEARCH_BASE: ours(''),
  LDAP_BIND_DN: ours(''),
  LDAP_BIND_PW: ours(''),
  LDAP_QUERY_FILTER_USER: ours(''),
  LDAP_QUERY_FILTER_GROUP: ours(''),
  LDAP_QUERY_FILTER_ALIAS: ours(''),
  LDAP_QUERY_FILTER_DOMAIN: ours(''),
  LDAP_QUERY_FILTER_SENDERS: ours(''),
  DOVECOT_TLS: acceptedAs(
    'no',
    ['no'],
    'Dovecot does not reach LDAP: the helper does, with StartTLS as LDAP_START_TLS says',
  ),
  DOVECOT_BASE: sameAs('LDAP_SEARCH_BASE', 'the helper searches below LDAP_SEARCH_BASE for every protocol'),
  DOVECOT_DN: sameAs('LDAP_BIND_DN', 'the helper binds as LDAP_BIND_DN for every protocol'),
  DOVECOT_DNPASS: sameAs('LDAP_BIND_PW', 'the helper binds with LDAP_BIND_PW for every protocol'),
  DOVECOT_URIS: sameAs(
    'LDAP_SERVER_HOST',
    'the helper asks LDAP_SERVER_HOST (a list fails over in order) for every protocol',
  ),
  DOVECOT_LDAP_VERSION: acceptedAs('3', ['3'], 'LDAP version 3'),
  DOVECOT_DEFAULT_PASS_SCHEME: notice(
    'SSHA',
    'LDAP passwords are checked by binding as the user, whatever their scheme',
  ),
  DOVECOT_USER_FILTER: ours(''),
  DOVECOT_PASS_FILTER: ours(''),
  DOVECOT_USER_ATTRS: refused(
    '',
    'idmail does not read it; put its meaning in LDAP_ATTRIBUTE_MAIL and LDAP_ATTRIBUTE_QUOTA (see docs/ldap.md)',
  ),
  DOVECOT_PASS_ATTRS: refused(
    '',
    'idmail does not read it; put its meaning in LDAP_ATTRIBUTE_MAIL and LDAP_ATTRIBUTE_UID (see docs/ldap.md)',
  ),
  DOVECOT_AUTH_BIND: acceptedAs(
    'no',
    ['no', 'yes'],
    'LDAP passwords are always checked by binding as the user (the directory must let its users bind)',
  ),
  // Postgrey
  ENABLE_POSTGREY: ours('0'),
  POSTGREY_DELAY: ours('300'),
  POSTGREY_MAX_AGE: ours('35'),
  POSTGREY_TEXT: ours('Delayed by Postgrey', "rspamd's own text (Try again later)"),
  POSTGREY_AUTO_WHITELIST_CLIENTS: notice(
    '5',
    'rspamd greylists doubtful mail only, so a sender that keeps coming back with good mail is not delayed; no client count',
  ),
  // saslauthd
  ENABLE_SASLAUTHD: offOnly(
    'SMTP signs in through the helper, as IMAP does: passwords, app passwords and tokens alike',
  ),
  SASLAUTHD_MECHANISMS: notice('ldap', ONLY_WITH_SASLAUTHD),
  SASLAUTHD_MECH_OPTIONS: notice('', ONLY_WITH_SASLAUTHD),
  SASLAUTHD_LDAP_SERVER: sameAs('LDAP_SERVER_HOST', 'SMTP signs in against LDAP_SERVER_HOST, as IMAP does'),
  SASLAUTHD_LDAP_BIND_DN: sameAs('LDAP_BIND_DN', 'the helper binds as LDAP_BIND_DN for SMTP too'),
  SASLAUTHD_LDAP_PASSWORD: sameAs('LDAP_BIND_PW', 'the helper binds with LDAP_BIND_PW for SMTP too'),
  SASLAUTHD_LDAP_SEARCH_BASE: sameAs('LDAP_SEARCH_BASE', 'the helper searches below LDAP_SEARCH_BASE for SMTP too'),
  // With saslauthd off (it is refused), docker-mailserver signs SMTP in through Dovecot: the filter is inert there too.
  SASLAUTHD_LDAP_FILTER: notice(
    '',
    `${ONLY_WITH_SASLAUTHD}; SMTP signs in through LDAP_QUERY_FILTER_LOGIN, as IMAP does`,
  ),
  SASLAUTHD_LDAP_START_TLS: sameAs('LDAP_START_TLS', 'the helper uses StartTLS as LDAP_START_TLS says, for SMTP too'),
  SASLAUTHD_LDAP_TLS_CHECK_PEER: notice(
    '',
    `${ONLY_WITH_SASLAUTHD}; the helper always checks the LDAP server's certificate`,
  ),
  SASLAUTHD_LDAP_TLS_CACERT_FILE: notice('', ONLY_WITH_SASLAUTHD),
  SASLAUTHD_LDAP_TLS_CACERT_DIR: notice('', ONLY_WITH_SASLAUTHD),
  SASLAUTHD_LDAP_PASSWORD_ATTR: notice('', ONLY_WITH_SASLAUTHD),
  SASLAUTHD_LDAP_AUTH_METHOD: notice('', ONLY_WITH_SASLAUTHD),
  SASLAUTHD_LDAP_MECH: notice('', ONLY_WITH_SASLAUTHD),
  // SRS
  SRS_SENDER_CLASSES: notice('envelope_sender', 'no sender rewriting (ENABLE_SRS is refused)'),
  SRS_EXCLUDE_DOMAINS: notice('', 'no sender rewriting (ENABLE_SRS is refused)'),
  SRS_SECRET: notice('', 'no sender rewriting (ENABLE_SRS is refused)'),
  SRS_DOMAINNAME: notice('', 'no sender rewriting (ENABLE_SRS is refused)'),
  // Relay host
  DEFAULT_RELAY_HOST: ours(''),
  RELAY_HOST: ours(''),
  RELAY_PORT: ours('25'),
  RELAY_USER: ours(''),
  RELAY_PASSWORD: ours(''),
};
