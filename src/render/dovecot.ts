import type { Settings } from '../config/settings.ts';
import {
  DOVECOT_ROUTES,
  INTROSPECTION_FIELDS,
  LUA_PASSWORD_FIELD,
  LUA_REQUEST_FIELDS,
  PASSDB_RESULTS,
  PREFETCH_PREFIX,
  USERDB_FIELDS,
  USERDB_RESULTS,
} from '../vocabulary/wire-contract.ts';
import { PROXIED_PORT_OFFSET } from './smtpd-services.ts';
import { type RenderedFile, renderTemplate } from './templates.ts';

/**
 * Dovecot's quota-status policy service, which Postfix asks at RCPT on port 25 whether the mailbox has
 * room: in Postfix's queue like the LMTP socket (main.cf names it relative to the queue, unix:private/…).
 */
export const QUOTA_STATUS_SOCKET = 'private/quota-status';

interface Listener {
  name: string;
  port: number;
  ssl: boolean;
}

/** The login services' listeners for PROXY-protocol connections: each mail port plus 10000. */
const PROXIED_LISTENERS: Record<string, Listener[]> = {
  imap: [
    { name: 'imap_proxied', port: 143 + PROXIED_PORT_OFFSET, ssl: false },
    { name: 'imaps_proxied', port: 993 + PROXIED_PORT_OFFSET, ssl: true },
  ],
  pop3: [
    { name: 'pop3_proxied', port: 110 + PROXIED_PORT_OFFSET, ssl: false },
    { name: 'pop3s_proxied', port: 995 + PROXIED_PORT_OFFSET, ssl: true },
  ],
  managesieve: [{ name: 'sieve_proxied', port: 4190 + PROXIED_PORT_OFFSET, ssl: false }],
};

/** The Lua bridge, with the contract's routes, request fields and result words. */
function luaBridgeView() {
  const results = (words: Record<string, string>) =>
    Object.entries(words).map(([word, constant]) => ({ word, constant }));
  return {
    routes: DOVECOT_ROUTES,
    requestFields: LUA_REQUEST_FIELDS,
    passwordField: LUA_PASSWORD_FIELD,
    passdbResults: results(PASSDB_RESULTS),
    userdbResults: results(USERDB_RESULTS),
  };
}

/** Dovecot's oauth2 block: where to ask, and which answer fields become which userdb fields. */
function introspectionView() {
  const field = (userdb: string, answer: string) => ({
    name: `${PREFETCH_PREFIX}${userdb}`,
    value: `%{oauth2:${answer}}`,
  });
  return {
    route: DOVECOT_ROUTES.introspect,
    ...INTROSPECTION_FIELDS,
    fields: {
      user: field(USERDB_FIELDS.user, INTROSPECTION_FIELDS.username),
      quota: field(USERDB_FIELDS.quota, INTROSPECTION_FIELDS.quota),
    },
  };
}

/** DOVECOT_INET_PROTOCOLS as Dovecot's `listen`: every IPv4 address, every IPv6 address, or both. */
const LISTEN_ADDRESSES = { all: '*, ::', ipv4: '*', ipv6: '::' } as const;

export async function renderDovecot(settings: Settings): Promise<RenderedFile[]> {
  const { oauth2, paths } = settings;
  const proxied = settings.proxyProtocolNetworks.length > 0;
  const protocols = [
    ...(settings.enableImap ? ['imap'] : []),
    ...(settings.enablePop3 ? ['pop3'] : []),
    ...(settings.enableManageSieve ? ['managesieve'] : []),
  ];
  const view = {
    hostname: settings.hostname,
    postmaster: settings.postmaster,
    debug: settings.logLevel === 'debug' || settings.logLevel === 'trace',
    enableImap: settings.enableImap,
    enablePop3: settings.enablePop3,
    listen: LISTEN_ADDRESSES[settings.inetProtocols.dovecot],
    enableManageSieve: settings.enableManageSieve,
    allowPlaintextAuth: settings.allowPlaintextAuth,
    helperUrl: settings.helper.url,
    baseDir: paths.dovecotBaseDir,
    luaScript: paths.luaScript,
    introspection: introspectionView(),
    deduplicateSieve: paths.deduplicateSieve,
    messageSizeLimit: settings.messageSizeLimit,
    junkSieve: settings.filter?.moveSpamToJunk === true ? paths.junkSieve : false,
    spamSubjectSieve: settings.filter?.spamSubject === undefined ? false : paths.spamSubjectSieve,
    dmsSieveBefore: settings.dmsSieve.before ? paths.dmsSieveBefore : false,
    dmsSieveAfter: settings.dmsSieve.after ? paths.dmsSieveAfter : false,
    mailRoot: paths.mail,
    vmailUid: settings.vmail.uid,
    postfixSpool: paths.postfixQueue,
    tls: settings.tls,
    quotas: settings.quotas !== undefined,
    quotaStatusSocket: QUOTA_STATUS_SOCKET,
    performanceMode: settings.loginProcessMode === 'performance',
    loginServices: protocols.map((name) => ({
      name,
      processMinAvail: name === 'imap' ? 4 : 1,
      proxied: proxied ? PROXIED_LISTENERS[name] : [],
    })),
    haproxyTrustedNetworks: proxied ? settings.proxyProtocolNetworks.join(' ') : false,
    loginTrustedNetworks: settings.loginTrustedNetworks.length > 0 ? settings.loginTrustedNetworks.join(' ') : false,
    oauth2: oauth2 === undefined ? false : { openidConfigurationUrl: oauth2.discoveryUrl ?? false },
  };
  const spamSubject = settings.filter?.spamSubject;
  return [
    { path: paths.dovecotConfig, content: await renderTemplate('dovecot/dovecot.conf.hbs', view) },
    { path: paths.luaScript, content: await renderTemplate('dovecot/auth.lua.hbs', luaBridgeView()) },
    ...(spamSubject === undefined
      ? []
      : [
          {
            path: paths.spamSubjectSieve,
            content: await renderTemplate('dovecot/spam-subject.sieve.hbs', { prefix: spamSubject }),
          },
        ]),
  ];
}
