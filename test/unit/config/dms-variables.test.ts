import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DMS_VARIABLES } from '../../../src/config/dms-variables.ts';
import { loadSettings, variableSpecs } from '../../../src/config/settings.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/docker-mailserver/${name}`, import.meta.url), 'utf8');

/** docker-mailserver's stock mailserver.env as `docker run --env-file` reads it (no quote removal). */
function stockEnvironment(): Record<string, string> {
  const lines = fixture('mailserver.env').split('\n');
  return Object.fromEntries(
    lines
      .filter((line) => /^[A-Z0-9_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

const DOCUMENTED = fixture('environment-variables.txt')
  .split('\n')
  .filter((line) => line !== '' && !line.startsWith('#'));
const STOCK = stockEnvironment();
const HOSTNAME = { OVERRIDE_HOSTNAME: 'mail.example.test' };

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadSettings(env);
    return [];
  } catch (error) {
    return (error as { problems: string[] }).problems;
  }
};

describe("docker-mailserver's variables", () => {
  it('decides every name its docs and its stock mailserver.env carry, and no other', () => {
    const theirs = [...new Set([...DOCUMENTED, ...Object.keys(STOCK)])].sort();
    assert.deepEqual(Object.keys(DMS_VARIABLES).sort(), theirs);
  });

  it('calls a name ours exactly when idmail reads it', () => {
    const mismatched = Object.entries(DMS_VARIABLES)
      .filter(([name, { decision }]) => (decision.kind === 'ours') !== name in variableSpecs)
      .map(([name]) => name);
    assert.deepEqual(mismatched, []);
  });

  it('refers each same-as decision to a variable of ours', () => {
    for (const [name, { decision }] of Object.entries(DMS_VARIABLES)) {
      if (decision.kind === 'same-as') assert.ok(decision.ours in variableSpecs, `${name} → ${decision.ours}`);
    }
  });

  it('stops the start on every value it does not honour, naming the variable; says so for each it accepts unread', () => {
    for (const [name, { decision }] of Object.entries(DMS_VARIABLES)) {
      if (decision.kind === 'ours') continue;
      const value = decision.kind === 'notice' ? 'anything' : 'not-what-idmail-does';
      const problems = problemsOf({ ...HOSTNAME, [name]: value });
      if (decision.kind === 'notice') {
        assert.deepEqual(problems, [], name);
        assert.ok(
          loadSettings({ ...HOSTNAME, [name]: value }).notices.some((line) => line.startsWith(`${name}: `)),
          name,
        );
      } else {
        assert.ok(
          problems.some((problem) => problem.startsWith(`${name}: docker-mailserver's setting, `)),
          `${name}: ${problems.join('; ')}`,
        );
      }
    }
  });

  it('accepts each at the default docker-mailserver documents', () => {
    const defaults = Object.fromEntries(
      Object.entries(DMS_VARIABLES)
        .filter(([, { decision }]) => decision.kind !== 'ours')
        .map(([name, { dmsDefault }]) => [name, dmsDefault]),
    );
    assert.deepEqual(problemsOf({ ...HOSTNAME, ...defaults }), []);
  });

  it('starts on the stock mailserver.env with a hostname, rspamd on for its OpenDKIM, OpenDMARC, policyd-spf and Amavis', () => {
    const settings = loadSettings({ ...STOCK, ...HOSTNAME });
    assert.notEqual(settings.filter, undefined);
    assert.ok(settings.warnings.some((line) => /^ENABLE_RSPAMD=0, but ENABLE_OPENDKIM=1, .*rspamd is on/.test(line)));
    // Empty in the stock file, so unset: no notice.
    assert.ok(!settings.notices.some((line) => line.startsWith('SUPERVISOR_LOGLEVEL')));
    assert.ok(
      settings.notices.some((line) => line.startsWith("ENABLE_UPDATE_CHECK: docker-mailserver's setting, accepted: ")),
    );
    assert.ok(
      settings.notices.some((line) =>
        line.startsWith('SSL_TYPE: unset, and the default differs: a self-signed certificate here'),
      ),
    );
    assert.equal(settings.tls.source, 'self-signed');
  });

  it("gives a docker-mailserver LDAP block without LDAP_SCHEMA docker-mailserver's defaults: mailEnabled, mailAlias", () => {
    const ldap = {
      ACCOUNT_PROVISIONER: 'LDAP',
      LDAP_SERVER_HOST: 'ldap',
      LDAP_SEARCH_BASE: 'dc=example,dc=test',
      LDAP_BIND_DN: 'cn=admin,dc=example,dc=test',
      LDAP_BIND_PW: 'secret',
    };
    const dms = loadSettings({ ...STOCK, ...HOSTNAME, ...ldap });
    assert.equal(dms.ldap?.schema, 'postfix-book');
    assert.equal(
      dms.ldap?.attributes.enabled,
      'mailEnabled',
      'an entry without mailEnabled=TRUE neither signs in nor receives',
    );
    assert.equal(dms.ldap?.attributes.aliases, 'mailAlias');
    assert.ok(
      dms.notices.some((line) => /^LDAP_SCHEMA: unset in a docker-mailserver environment: postfix-book/.test(line)),
    );
    // Outside a docker-mailserver environment, and where LDAP_SCHEMA is given, ours stands.
    assert.equal(loadSettings({ ...HOSTNAME, MAIL_DOMAINS: 'example.test', ...ldap }).ldap?.schema, 'inetorgperson');
    assert.equal(
      loadSettings({ ...STOCK, ...HOSTNAME, ...ldap, LDAP_SCHEMA: 'inetorgperson' }).ldap?.schema,
      'inetorgperson',
    );
  });

  it('reads an empty value as unset, as docker-mailserver does, for every variable', () => {
    const empty = Object.fromEntries(Object.keys(STOCK).map((name) => [name, '']));
    const settings = loadSettings({ ...empty, ...HOSTNAME });
    const plain = loadSettings(HOSTNAME);
    assert.deepEqual({ ...settings, notices: [] }, { ...plain, notices: [] });
  });

  for (const [env, refusal] of [
    [
      { ENABLE_CLAMAV: '1' },
      /^ENABLE_CLAMAV: docker-mailserver's setting, "1" is not honoured here: no virus scanner.*; allowed: 0, or unset \(see docs\/migrating-from-docker-mailserver\.md\)$/,
    ],
    [
      { LDAP_SEARCH_BASE: 'dc=example,dc=test', DOVECOT_BASE: 'ou=people,dc=example,dc=test' },
      /^DOVECOT_BASE: docker-mailserver's setting, differs from LDAP_SEARCH_BASE: .*; allowed: the value of LDAP_SEARCH_BASE, or unset/,
    ],
  ] as const) {
    it(`stops the start on ${Object.entries(env).at(-1)!.join('=')}, naming it and what happens here instead`, () => {
      assert.ok(
        problemsOf({ ...HOSTNAME, ...env }).some((problem) => refusal.test(problem)),
        problemsOf({ ...HOSTNAME, ...env }).join('\n'),
      );
    });
  }

  it('honours the protocol switches, the address families, the log rotation and the vmail ids of a docker-mailserver env block', () => {
    const settings = loadSettings({
      ...STOCK,
      ...HOSTNAME,
      ENABLE_IMAP: '0',
      POSTFIX_INET_PROTOCOLS: 'ipv4',
      DOVECOT_INET_PROTOCOLS: 'ipv6',
      LOGROTATE_INTERVAL: 'daily',
      LOGROTATE_COUNT: '14',
      DMS_VMAIL_UID: '1000',
      DMS_VMAIL_GID: '1001',
    });
    assert.deepEqual(settings.vmail, { uid: 1000, gid: 1001 });
    assert.equal(settings.enableImap, false);
    assert.deepEqual(settings.inetProtocols, { postfix: 'ipv4', dovecot: 'ipv6' });
    assert.deepEqual(settings.mailLogRotation, { interval: 'daily', count: 14 });
    const stock = loadSettings({ ...STOCK, ...HOSTNAME });
    assert.equal(stock.enableImap, true);
    assert.deepEqual(stock.inetProtocols, { postfix: 'all', dovecot: 'all' });
    assert.deepEqual(stock.mailLogRotation, { interval: 'weekly', count: 4 });
    assert.deepEqual(stock.vmail, { uid: 5000, gid: 5000 });
    assert.deepEqual(
      problemsOf({ ...HOSTNAME, LOGROTATE_INTERVAL: 'hourly', DOVECOT_INET_PROTOCOLS: 'ipv5', DMS_VMAIL_UID: '0' }),
      [
        'DMS_VMAIL_UID: "0" is not an account id; allowed: 1 to 65533 (not 0, root)',
        'LOGROTATE_INTERVAL: "hourly" is not one of the choices; allowed: daily, weekly, monthly',
        'DOVECOT_INET_PROTOCOLS: "ipv5" is not one of the choices; allowed: all, ipv4, ipv6',
      ],
    );
  });

  it('closes every mail access port with SMTP_ONLY=1, whatever the protocol switches say, and says what still runs', () => {
    const settings = loadSettings({ ...STOCK, ...HOSTNAME, SMTP_ONLY: '1', ENABLE_IMAP: '1', ENABLE_POP3: '1' });
    assert.deepEqual([settings.enableImap, settings.enablePop3, settings.enableManageSieve], [false, false, false]);
    assert.ok(
      settings.notices.some((notice) =>
        /^SMTP_ONLY=1: IMAP, POP3 and ManageSieve are closed; Dovecot still runs/.test(notice),
      ),
      settings.notices.join('\n'),
    );
    const stock = loadSettings({ ...STOCK, ...HOSTNAME });
    assert.deepEqual([stock.enableImap, stock.enablePop3, stock.enableManageSieve], [true, true, true]);
    assert.deepEqual(
      problemsOf({ ...HOSTNAME, SMTP_ONLY: 'yes please' }).map((problem) => problem.split(':')[0]),
      ['SMTP_ONLY'],
    );
  });

  it('accepts a saslauthd or Dovecot LDAP setting that says what ours says', () => {
    const ldap = {
      ACCOUNT_PROVISIONER: 'LDAP',
      LDAP_SEARCH_BASE: 'dc=example,dc=test',
      LDAP_SERVER_HOST: 'ldap://ldap.example.test',
    };
    const same = { DOVECOT_BASE: ldap.LDAP_SEARCH_BASE, SASLAUTHD_LDAP_SERVER: ldap.LDAP_SERVER_HOST };
    assert.deepEqual(problemsOf({ ...HOSTNAME, ...ldap, ...same }), []);
  });

  it('stops on a misspelling of ours, naming the likely one, and leaves other names alone', () => {
    const problems = problemsOf({ ...HOSTNAME, OAUTH2_ISSUERR: 'https://idp.example.test', ENABLE_POP: '0' });
    assert.deepEqual(problems, [
      'OAUTH2_ISSUERR: is no idmail or docker-mailserver variable; allowed: a variable of docs/configuration.md (did you mean OAUTH2_ISSUER?)',
      'ENABLE_POP: is no idmail or docker-mailserver variable; allowed: a variable of docs/configuration.md (did you mean ENABLE_POP3?)',
    ]);
    const others = {
      PATH: '/usr/bin',
      NODE_VERSION: '24',
      LDAP_SERVICE_HOST: '10.0.0.5',
      LDAP_PORT_389_TCP: 'tcp://10.0.0.5:389',
    };
    assert.deepEqual(problemsOf({ ...HOSTNAME, ...others }), []);
  });
});
