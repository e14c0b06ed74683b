import assert from 'node:assert/strict';
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadSettings } from '../../../src/config/settings.ts';
import { renderPostfix } from '../../../src/render/postfix.ts';
import { renderAll, writeRendered } from '../../../src/render/render-all.ts';
import { mynetworks } from '../../../src/render/trusted-networks.ts';

const oauthEnv = {
  OVERRIDE_HOSTNAME: 'mail.example.org',
  MAIL_DOMAINS: 'example.org',
  ENABLE_OAUTH2: '1',
  OAUTH2_ISSUER: 'https://id.example.org',
  OAUTH2_AUDIENCE: 'mail',
};

async function rendered(env: Record<string, string>): Promise<Record<string, string>> {
  return Object.fromEntries((await renderAll(loadSettings(env))).map((file) => [file.path, file.content]));
}

describe('config rendering', () => {
  it("renders dovecot.conf, the Lua bridge, main.cf, master.cf, rsyslog's and rspamd's settings (none with ENABLE_RSPAMD=0)", async () => {
    const paths = [
      '/etc/dovecot/dovecot.conf',
      '/etc/dovecot/idmail-auth.lua',
      '/etc/postfix/main.cf',
      '/etc/postfix/master.cf',
      '/etc/rsyslog.conf',
    ];
    const rspamd = [
      '/etc/rspamd/local.d/redis.conf',
      '/etc/rspamd/local.d/worker-controller.inc',
      '/etc/rspamd/override.d/greylist.conf',
    ];
    assert.deepEqual(Object.keys(await rendered(oauthEnv)).sort(), [...paths, ...rspamd].sort());
    assert.deepEqual(Object.keys(await rendered({ ...oauthEnv, ENABLE_RSPAMD: '0' })).sort(), paths);
  });

  it('points Dovecot oauth2 at the helper with the discovery URL', async () => {
    const dovecot = (await rendered(oauthEnv))['/etc/dovecot/dovecot.conf']!;
    assert.match(dovecot, /auth_mechanisms = plain login oauthbearer xoauth2/);
    assert.match(dovecot, /introspection_mode = post/);
    assert.match(dovecot, /introspection_url = http:\/\/127\.0\.0\.1:8800\/dovecot\/introspect/);
    assert.match(dovecot, /openid_configuration_url = https:\/\/id\.example\.org\/\.well-known\/openid-configuration/);
    assert.match(dovecot, /hostname = mail\.example\.org/);
  });

  it('leaves the OAuth2 mechanisms out when OAuth2 is off', async () => {
    const dovecot = (await rendered({ OVERRIDE_HOSTNAME: 'mail.example.org' }))['/etc/dovecot/dovecot.conf']!;
    assert.match(dovecot, /auth_mechanisms = plain login\n/);
    assert.doesNotMatch(dovecot, /oauth2 \{/);
  });

  it('settles a token sign-in with one helper call: no auth policy, no passdb lookup, settings from the answer', async () => {
    const dovecot = (await rendered({ ...oauthEnv, ENABLE_QUOTAS: '0' }))['/etc/dovecot/dovecot.conf']!;
    assert.doesNotMatch(dovecot, /auth_policy/);
    assert.match(dovecot, /passdb lua \{\n {2}mechanisms_filter = plain login\n/);
    assert.match(dovecot, /fields \{\n {4}userdb_user = %\{oauth2:username\}\n {2}\}/);
    assert.match(dovecot, /userdb prefetch \{\n\}\nuserdb lua \{/);
    const withQuotas = (await rendered(oauthEnv))['/etc/dovecot/dovecot.conf']!;
    assert.match(withQuotas, /userdb_quota_storage_size = %\{oauth2:quota_storage_size\}\n/);
  });

  it('delivers each accepted message once: a Sieve script before the user filters drops a message handed over again, one delivery per mailbox at a time', async () => {
    const files = await rendered(oauthEnv);
    assert.match(
      files['/etc/dovecot/dovecot.conf']!,
      /sieve_script deduplicate \{\n {2}type = before\n {2}driver = file\n {2}path = \/usr\/share\/idmail\/sieve\/deduplicate\.sieve\n\}/,
    );
    assert.match(files['/etc/postfix/main.cf']!, /^lmtp_destination_recipient_limit = 1$/m);
    assert.match(files['/etc/postfix/main.cf']!, /^lmtp_destination_concurrency_limit = 1$/m);
  });

  it('uses performance mode by default and one process per login in security mode', async () => {
    const fast = (await rendered(oauthEnv))['/etc/dovecot/dovecot.conf']!;
    assert.match(fast, /service imap-login \{\n {2}restart_request_count = unlimited\n {2}process_min_avail = 2/);
    const safe = (await rendered({ ...oauthEnv, LOGIN_PROCESS_MODE: 'security' }))['/etc/dovecot/dovecot.conf']!;
    assert.match(safe, /service imap-login \{\n {2}restart_request_count = 1\n/);
  });

  it('switches IMAP, POP3 and ManageSieve off', async () => {
    const dovecot = (await rendered({ ...oauthEnv, ENABLE_IMAP: '0', ENABLE_POP3: '0', ENABLE_MANAGESIEVE: '0' }))[
      '/etc/dovecot/dovecot.conf'
    ]!;
    assert.match(dovecot, /^ {2}imap = no$/m);
    assert.match(dovecot, /pop3 = no/);
    assert.match(dovecot, /sieve = no/);
    assert.doesNotMatch(dovecot, /service (imap|pop3|managesieve)-login/);
    assert.match(dovecot, /^ {2}lmtp = yes$/m);
  });

  it('listens and sends on the address families POSTFIX_INET_PROTOCOLS and DOVECOT_INET_PROTOCOLS name, both by default', async () => {
    const both = await rendered(oauthEnv);
    assert.match(both['/etc/dovecot/dovecot.conf']!, /^listen = \*, ::$/m);
    assert.match(both['/etc/postfix/main.cf']!, /^inet_protocols = all$/m);
    const narrowed = await rendered({ ...oauthEnv, POSTFIX_INET_PROTOCOLS: 'ipv4', DOVECOT_INET_PROTOCOLS: 'IPv6' });
    assert.match(narrowed['/etc/dovecot/dovecot.conf']!, /^listen = ::$/m);
    assert.match(narrowed['/etc/postfix/main.cf']!, /^inet_protocols = ipv4$/m);
  });

  it("runs docker-mailserver's before.dovecot.sieve and after.dovecot.sieve around each user's own, where its folder has them", async () => {
    const settings = loadSettings(oauthEnv);
    const withScripts = await renderAll({ ...settings, dmsSieve: { before: true, after: true } });
    const dovecot = withScripts.find((file) => file.path === '/etc/dovecot/dovecot.conf')?.content ?? '';
    const order = [
      'sieve_script deduplicate',
      'sieve_script dms-before',
      'sieve_script personal',
      'sieve_script dms-after',
    ];
    const positions = order.map((name) => dovecot.indexOf(name));
    assert.ok(
      positions.every((at, index) => at > (positions[index - 1] ?? -1)),
      positions.join(' '),
    );
    assert.match(
      dovecot,
      /sieve_script dms-after \{\n {2}type = after\n {2}driver = file\n {2}path = \/etc\/dovecot\/dms-after\.sieve\n\}/,
    );
    assert.doesNotMatch((await rendered(oauthEnv))['/etc/dovecot/dovecot.conf']!, /dms-before|dms-after/);
  });

  it("takes vmail's uid (DMS_VMAIL_UID) as the only one mail processes may run as", async () => {
    const plain = (await rendered(oauthEnv))['/etc/dovecot/dovecot.conf']!;
    assert.match(plain, /^first_valid_uid = 5000\nlast_valid_uid = 5000$/m);
    const ids = (await rendered({ ...oauthEnv, DMS_VMAIL_UID: '1000' }))['/etc/dovecot/dovecot.conf']!;
    assert.match(ids, /^first_valid_uid = 1000\nlast_valid_uid = 1000$/m);
  });

  it('logs Dovecot and Postfix to syslog, for rsyslog to write to standard output and /var/log/mail/mail.log', async () => {
    const files = await rendered(oauthEnv);
    assert.match(files['/etc/dovecot/dovecot.conf']!, /^log_path = syslog$/m);
    assert.doesNotMatch(files['/etc/dovecot/dovecot.conf']!, /^(info_|debug_)?log_path = \//m);
    assert.doesNotMatch(files['/etc/postfix/main.cf']!, /^maillog_file\b/m);
    assert.doesNotMatch(files['/etc/postfix/master.cf']!, /postlogd/);
    const rsyslog = files['/etc/rsyslog.conf']!;
    assert.match(rsyslog, /^mail\.\* action\(type="omfile" file="\/var\/log\/mail\/mail\.log" /m);
    assert.match(rsyslog, /^\*\.\* action\(type="omfile" file="\/dev\/stdout" /m);
    assert.match(rsyslog, /localHostname="mail"/);
    assert.doesNotMatch(rsyslog, /imklog|imtcp|imudp/);
  });

  it('refuses cleartext auth unless explicitly allowed', async () => {
    assert.match((await rendered(oauthEnv))['/etc/dovecot/dovecot.conf']!, /auth_allow_cleartext = no/);
    assert.match((await rendered(oauthEnv))['/etc/dovecot/dovecot.conf']!, /^ssl = required$/m);
    const allowed = (await rendered({ ...oauthEnv, ALLOW_PLAINTEXT_AUTH: '1' }))['/etc/dovecot/dovecot.conf']!;
    assert.match(allowed, /auth_allow_cleartext = yes/);
    // Dovecot refuses to start with cleartext allowed and ssl = required.
    assert.match(allowed, /^ssl = yes$/m);
  });

  it('has Postfix ask the helper for domains, mailboxes, aliases and sender owners', async () => {
    const main = (await rendered(oauthEnv))['/etc/postfix/main.cf']!;
    for (const map of ['domain', 'mailbox', 'alias', 'senders']) {
      assert.match(main, new RegExp(`socketmap:unix:/run/idmail/postfix-maps\\.sock:${map}`));
    }
    assert.match(main, /smtpd_sasl_auth_enable = no/);
    assert.match(main, /^line_length_limit = 16000$/m);
  });

  it('requires TLS before AUTH on submission and wraps TLS on 465', async () => {
    const master = (await rendered(oauthEnv))['/etc/postfix/master.cf']!;
    assert.match(master, /submission inet[^\n]*\n(?: {2}-o [^\n]*\n)*? {2}-o smtpd_tls_security_level=encrypt/);
    assert.match(master, /submissions inet[^\n]*\n(?: {2}-o [^\n]*\n)*? {2}-o smtpd_tls_wrappermode=yes/);
  });

  it('checks senders against the login on submission only, and not at all when SPOOF_PROTECTION=0', async () => {
    const files = await rendered(oauthEnv);
    assert.doesNotMatch(files['/etc/postfix/main.cf']!, /reject_authenticated_sender_login_mismatch/);
    for (const service of ['submission', 'submissions']) {
      assert.match(
        files['/etc/postfix/master.cf']!,
        new RegExp(
          `\\n${service} inet[^\\n]*\\n(?: {2}-o [^\\n]*\\n)*? {2}-o smtpd_sender_restrictions=reject_authenticated_sender_login_mismatch\\n`,
        ),
      );
    }
    const master = (await rendered({ ...oauthEnv, SPOOF_PROTECTION: '0' }))['/etc/postfix/master.cf']!;
    assert.doesNotMatch(master, /reject_authenticated_sender_login_mismatch/);
    // Port 25's sender checks (a served domain refused from outside) never reach the signed-in ports.
    assert.equal(master.match(/ {2}-o smtpd_sender_restrictions=\n/g)?.length, 2);
  });

  it('writes files dated at least a second back, so Postfix reads main.cf without waiting', async () => {
    const out = await mkdtemp(join(tmpdir(), 'idmail-render-'));
    const written = await writeRendered(await renderAll(loadSettings(oauthEnv)), out);
    assert.ok(written.some((path) => path.endsWith('/etc/postfix/main.cf')));
    for (const path of written) assert.ok((await stat(path)).mtimeMs <= Date.now() - 1_000, path);
  });

  it("trusts no network to relay by default, loopback included; PERMIT_DOCKER adds docker-mailserver's networks", async () => {
    assert.match((await rendered(oauthEnv))['/etc/postfix/main.cf']!, /^mynetworks = $/m);
    const interfaces = {
      eth0: [
        {
          address: '172.20.5.9',
          netmask: '255.255.0.0',
          family: 'IPv4',
          mac: '',
          internal: false,
          cidr: '172.20.5.9/16',
        },
      ],
    } as never;
    assert.deepEqual(mynetworks('none', interfaces), []);
    assert.deepEqual(mynetworks('container', interfaces), ['127.0.0.0/8', '[::1]/128', '172.20.5.9/32']);
    assert.deepEqual(mynetworks('host', interfaces), ['127.0.0.0/8', '[::1]/128', '172.20.0.0/16']);
    assert.deepEqual(mynetworks('network', interfaces), ['127.0.0.0/8', '[::1]/128', '172.16.0.0/12']);
    assert.deepEqual(mynetworks('connected-networks', interfaces), ['127.0.0.0/8', '[::1]/128', '172.20.0.0/16']);
    const [main] = await renderPostfix(
      loadSettings({ ...oauthEnv, PERMIT_DOCKER: 'network' }),
      mynetworks('network', interfaces),
    );
    assert.match(main?.content ?? '', /^mynetworks = 127\.0\.0\.0\/8 \[::1\]\/128 172\.16\.0\.0\/12$/m);
  });

  it('puts postscreen in front of port 25 with POSTSCREEN_ACTION, as docker-mailserver does', async () => {
    const master = (await rendered(oauthEnv))['/etc/postfix/master.cf']!;
    assert.match(master, /^smtp inet n - n - 1 postscreen$/m);
    assert.match(master, /^smtpd pass - - n - - smtpd$/m);
    assert.match(master, /^dnsblog +unix .* dnsblog$/m);
    const enforced = (await rendered(oauthEnv))['/etc/postfix/main.cf']!;
    assert.match(enforced, /^postscreen_greet_action = enforce$/m);
    assert.match(enforced, /^postscreen_access_list = permit_mynetworks$/m);
    const dropped = (await rendered({ ...oauthEnv, POSTSCREEN_ACTION: 'drop' }))['/etc/postfix/main.cf']!;
    for (const test of ['greet', 'dnsbl', 'bare_newline'])
      assert.match(dropped, new RegExp(`^postscreen_${test}_action = drop$`, 'm'));
  });

  it('adds PROXY-protocol listeners on port + 10000 with PROXY_PROTOCOL_NETWORKS, and passes webmail addresses on from LOGIN_TRUSTED_NETWORKS', async () => {
    const plain = await rendered(oauthEnv);
    assert.doesNotMatch(plain['/etc/dovecot/dovecot.conf']!, /haproxy|login_trusted_networks/);
    assert.doesNotMatch(plain['/etc/postfix/master.cf']!, /proxy_protocol/);
    const files = await rendered({
      ...oauthEnv,
      PROXY_PROTOCOL_NETWORKS: '10.0.0.5',
      LOGIN_TRUSTED_NETWORKS: '172.18.0.0/16',
    });
    const dovecot = files['/etc/dovecot/dovecot.conf']!;
    assert.match(dovecot, /^haproxy_trusted_networks = 10\.0\.0\.5$/m);
    assert.match(dovecot, /^login_trusted_networks = 172\.18\.0\.0\/16$/m);
    assert.match(dovecot, /inet_listener imaps_proxied \{\n {4}port = 10993\n {4}ssl = yes\n {4}haproxy = yes\n {2}\}/);
    for (const port of [10143, 10110, 10995, 14190])
      assert.match(dovecot, new RegExp(`port = ${port}\\n(?: {4}ssl = yes\\n)? {4}haproxy = yes`));
    const master = files['/etc/postfix/master.cf']!;
    for (const port of [10587, 10465])
      assert.match(
        master,
        new RegExp(`\\n${port} inet[^\\n]*\\n(?: {2}-o [^\\n]*\\n)*? {2}-o smtpd_upstream_proxy_protocol=haproxy\\n`),
      );
    // Port 25's twin: postscreen reads the PROXY header, then hands the client to an smtpd of its own.
    assert.match(
      master,
      /\n10025 inet n - n - 1 postscreen\n {2}-o syslog_name=postfix\/smtp-proxied\n {2}-o postscreen_upstream_proxy_protocol=haproxy\n {2}-o smtpd_service_name=smtpd-proxied\n/,
    );
    assert.match(master, /\nsmtpd-proxied pass - - n - - smtpd\n {2}-o syslog_name=postfix\/smtp-proxied\n/);
    assert.match(master, /\n10587 inet[^\n]*\n(?: {2}-o [^\n]*\n)*? {2}-o smtpd_tls_security_level=encrypt/);
  });
});
