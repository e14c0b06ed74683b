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
export const POSTFIX_MAPS = ['domain', 'mailbox', 'alias', 'senders'] as const;
export type PostfixMap = (typeof POSTFIX_MAPS)[number];

/** A socketmap reply's first word (Postfix's socketmap_table(5)). */
export const SOCKETMAP_REPLIES = { found: 'OK', notFound: 'NOTFOUND', temporary: 'TEMP', permanent: 'PERM' } as const;
