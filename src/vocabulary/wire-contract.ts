/**
 * The wire contract between the helper and the daemons it answers: every route, field, map and
 * result word that both sides must spell alike. The renderers write them into dovecot.conf,
 * main.cf and the Lua bridge; the adapters answer with them. A name changed here changes everywhere.
 */

/** Dovecot's calls to the helper's loopback HTTP listener. */
export const DOVECOT_ROUTES = {
  /** Dovecot's oauth2 `introspection_mode = post`: a form body `token=…`. */
  introspect: '/dovecot/introspect',
  /** From the Lua bridge, as JSON: a password to check. */
  passwordVerify: '/dovecot/passdb/verify',
  /** From the Lua bridge: whether an account may sign in, without a credential. */
  passdbLookup: '/dovecot/passdb/lookup',
  /** From the Lua bridge: an account's settings, for LMTP and doveadm. */
  userdbLookup: '/dovecot/userdb/lookup',
} as const;

/** The fields of the Lua bridge's request, taken from Dovecot's auth request of the same names. */
export const LUA_REQUEST_FIELDS = [
  'user',
  'protocol',
  'mechanism',
  'remote_ip',
  'local_ip',
  'secured',
  'session',
] as const;
/** Sent beside the request fields by a password check. */
export const LUA_PASSWORD_FIELD = 'password';
export type LuaRequest = Partial<Record<(typeof LUA_REQUEST_FIELDS)[number] | typeof LUA_PASSWORD_FIELD, unknown>>;

/** The answer's result words, each with the suffix of the Dovecot Lua constant it maps onto. */
export const PASSDB_RESULTS = {
  ok: 'PASSDB_RESULT_OK',
  user_unknown: 'PASSDB_RESULT_USER_UNKNOWN',
  password_mismatch: 'PASSDB_RESULT_PASSWORD_MISMATCH',
  user_disabled: 'PASSDB_RESULT_USER_DISABLED',
  tempfail: 'PASSDB_RESULT_INTERNAL_FAILURE',
} as const;
export const USERDB_RESULTS = {
  ok: 'USERDB_RESULT_OK',
  user_unknown: 'USERDB_RESULT_USER_UNKNOWN',
  tempfail: 'USERDB_RESULT_INTERNAL_FAILURE',
} as const;
export type PassdbResult = keyof typeof PASSDB_RESULTS;
export type UserdbResult = keyof typeof USERDB_RESULTS;

/** Userdb fields the helper sets; a password sign-in sends them prefixed, for Dovecot's prefetch userdb. */
export const USERDB_FIELDS = { user: 'user', quota: 'quota_storage_size' } as const;
export const PREFETCH_PREFIX = 'userdb_';

/** The introspection answer's fields, which dovecot.conf's oauth2 block names. */
export const INTROSPECTION_FIELDS = { active: 'active', username: 'username', quota: USERDB_FIELDS.quota } as const;

/** The socketmap tables main.cf names (socketmap:unix:PATH:NAME). */
/**
 * The socketmap tables: served domains, mailboxes, aliases, who may send as an address, and
 * `ownDomainSender` (check_sender_access on port 25: a served domain as envelope sender is refused there),
 * and `relay` (sender_dependent_relayhost_maps, with RELAY_HOST or RELAY_MAP only).
 */
export const POSTFIX_MAPS = ['domain', 'mailbox', 'alias', 'senders', 'ownDomainSender', 'relay'] as const;
export type PostfixMap = (typeof POSTFIX_MAPS)[number];

/** A socketmap reply's first word (Postfix's socketmap_table(5)). */
export const SOCKETMAP_REPLIES = { found: 'OK', notFound: 'NOTFOUND', temporary: 'TEMP', permanent: 'PERM' } as const;

/**
 * Postfix's SMTPD access policy delegation (SMTPD_POLICY_README), which master.cf asks on the
 * submission ports for the per-account rate limit: `name=value` lines ended by an empty line, and
 * the answer `action=<access(5) action>` ended by an empty line.
 */
export const POSTFIX_POLICY_SOCKET = '/run/idmail/postfix-policy.sock';
/** The request attributes the helper reads; Postfix sends many more, which it ignores. */
export const POLICY_ATTRIBUTES = {
  request: 'request',
  state: 'protocol_state',
  account: 'sasl_username',
} as const;
/** The only `request` Postfix's SMTP server sends. */
export const POLICY_REQUEST = 'smtpd_access_policy';
/** The stages master.cf asks at: each recipient (smtpd_recipient_restrictions), each complete message (smtpd_end_of_data_restrictions). */
export const POLICY_STATES = { recipient: 'RCPT', endOfMessage: 'END-OF-MESSAGE' } as const;
/** The answer's attribute and its actions; a refusal is the code and status, then a text of the helper's own. */
export const POLICY_REPLY_ATTRIBUTE = 'action';
export const POLICY_ACTIONS = {
  /** No objection: the next restriction (or none, which accepts) decides. */
  pass: 'DUNNO',
  /** Over a limit: a temporary refusal, so a legitimate burst waits in the client's outbox instead of being lost. */
  overLimit: '450 4.7.1',
  /** Asked about a session nobody signed in to (RFC 4954's "Authentication required"). */
  signInRequired: '530 5.7.0',
  /** Asked at a stage it does not decide at: Postfix's own code for a configuration problem, temporary. */
  misconfigured: '451 4.3.5',
} as const;
