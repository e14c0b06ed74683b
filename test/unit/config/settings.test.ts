import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadSettings } from '../../../src/config/settings.ts';
import { problemsOf } from '../../support/config.ts';

const base = { OVERRIDE_HOSTNAME: 'mail.example.org', MAIL_DOMAINS: 'example.org' };

describe('settings from the environment', () => {
  it('has working defaults', () => {
    const settings = loadSettings(base);
    assert.equal(settings.hostname, 'mail.example.org');
    assert.deepEqual(settings.domains, ['example.org']);
    assert.equal(settings.postmaster, 'postmaster@example.org');
    assert.equal(settings.oauth2, undefined);
    assert.equal(settings.tls.source, 'self-signed');
    assert.equal(settings.loginProcessMode, 'performance');
    assert.equal(settings.allowPlaintextAuth, false);
    assert.equal(settings.spoofProtection, true);
    assert.equal(settings.enablePop3, true);
    assert.equal(settings.enableManageSieve, true);
    assert.equal(settings.logLevel, 'info');
    assert.equal(settings.accountsFile, '/etc/idmail/accounts.yaml');
  });

  it('reads every OAuth2 variable', () => {
    const settings = loadSettings({
      ...base,
      ENABLE_OAUTH2: '1',
      OAUTH2_ISSUER: 'https://id.example.org/realms/mail/',
      OAUTH2_AUDIENCE: 'mail, webmail groupware',
      OAUTH2_ALLOWED_CLIENTS: 'thunderbird,roundcube',
      OAUTH2_USERNAME_CLAIM: 'preferred_username',
      OAUTH2_REQUIRED_SCOPE: 'mail',
      OAUTH2_CLIENT_ID: 'idmail',
      OAUTH2_CLIENT_SECRET: 's3cr3t "with quotes"',
      OAUTH2_INTROSPECTION_URL: 'https://id.example.org/introspect',
      OAUTH2_CLOCK_SKEW: '10',
      OAUTH2_CACHE_REVALIDATE: '60',
      OAUTH2_CACHE_MAX_TTL: '3600',
      OAUTH2_NEGATIVE_CACHE_TTL: '2',
    });
    assert.deepEqual(settings.oauth2, {
      issuer: 'https://id.example.org/realms/mail/',
      discoveryUrl: 'https://id.example.org/realms/mail/.well-known/openid-configuration',
      audiences: ['mail', 'webmail', 'groupware'],
      acceptAnyAudience: false,
      allowedClients: ['thunderbird', 'roundcube'],
      allowHttp: false,
      caFile: undefined,
      usernameClaim: 'preferred_username',
      templateClaim: 'mail_template',
      requiredScope: 'mail',
      client: { id: 'idmail', secret: 's3cr3t "with quotes"' },
      introspectionUrl: 'https://id.example.org/introspect',
      clockSkewSeconds: 10,
      revalidateAfterSeconds: 60,
      maxCacheSeconds: 3600,
      negativeCacheSeconds: 2,
    });
  });

  it('accepts docker-mailserver style switches and lists', () => {
    const settings = loadSettings({
      ...base,
      ENABLE_POP3: '0',
      ENABLE_MANAGESIEVE: 'false',
      SPOOF_PROTECTION: 'off',
      MAIL_DOMAINS: 'a.org, B.org c.org',
    });
    assert.equal(settings.enablePop3, false);
    assert.equal(settings.enableManageSieve, false);
    assert.equal(settings.spoofProtection, false);
    assert.deepEqual(settings.domains, ['a.org', 'b.org', 'c.org']);
  });

  it('reads <VAR>__FILE secrets', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'idmail-')), 'secret');
    writeFileSync(file, 'from-a-file\n');
    const settings = loadSettings({
      ...base,
      ENABLE_OAUTH2: '1',
      OAUTH2_ISSUER: 'https://id.example.org',
      OAUTH2_AUDIENCE: 'mail',
      OAUTH2_CLIENT_ID: 'x',
      OAUTH2_CLIENT_SECRET__FILE: file,
    });
    assert.equal(settings.oauth2?.client?.secret, 'from-a-file');
  });

  it('uses a mounted certificate when both paths are set', () => {
    const settings = loadSettings({ ...base, SSL_CERT_PATH: '/certs/fullchain.pem', SSL_KEY_PATH: '/certs/key.pem' });
    assert.equal(settings.tls.source, 'manual');
    assert.deepEqual(settings.tls.origin, {
      kind: 'files',
      certPath: '/certs/fullchain.pem',
      keyPath: '/certs/key.pem',
      certName: 'SSL_CERT_PATH',
      keyName: 'SSL_KEY_PATH',
    });
  });

  const bad: Array<[string, Record<string, string>, RegExp]> = [
    ['OVERRIDE_HOSTNAME', { OVERRIDE_HOSTNAME: 'mail example' }, /OVERRIDE_HOSTNAME: .*not a host name/],
    ['MAIL_DOMAINS', { MAIL_DOMAINS: 'exa_mple.org' }, /MAIL_DOMAINS: .*not a domain name/],
    ['POSTMASTER_ADDRESS', { POSTMASTER_ADDRESS: 'nobody' }, /POSTMASTER_ADDRESS: .*not a mail address/],
    [
      'SSL_CERT_PATH relative',
      { SSL_CERT_PATH: 'cert.pem', SSL_KEY_PATH: '/k' },
      /SSL_CERT_PATH: .*not an absolute path/,
    ],
    ['SSL_KEY_PATH alone', { SSL_KEY_PATH: '/k.pem' }, /SSL_CERT_PATH, SSL_KEY_PATH: only one is set/],
    ['ALLOW_PLAINTEXT_AUTH', { ALLOW_PLAINTEXT_AUTH: 'maybe' }, /ALLOW_PLAINTEXT_AUTH: .*allowed: 1 or 0/],
    ['LOGIN_PROCESS_MODE', { LOGIN_PROCESS_MODE: 'fast' }, /LOGIN_PROCESS_MODE: .*allowed: performance, security/],
    ['ENABLE_POP3', { ENABLE_POP3: '2' }, /ENABLE_POP3: .*allowed: 1 or 0/],
    ['ENABLE_MANAGESIEVE', { ENABLE_MANAGESIEVE: 'y' }, /ENABLE_MANAGESIEVE: .*allowed/],
    ['SPOOF_PROTECTION', { SPOOF_PROTECTION: 'sometimes' }, /SPOOF_PROTECTION: .*allowed/],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }, /LOG_LEVEL: .*allowed: error, warn, info, debug, trace/],
    ['ACCOUNTS_FILE', { ACCOUNTS_FILE: 'accounts.yaml' }, /ACCOUNTS_FILE: .*absolute path/],
    [
      'ENABLE_OAUTH2 without a source',
      { ENABLE_OAUTH2: '1' },
      /ENABLE_OAUTH2: is on but neither OAUTH2_ISSUER nor OAUTH2_INTROSPECTION_URL/,
    ],
    ['OAUTH2_ISSUER not a URL', { ENABLE_OAUTH2: '1', OAUTH2_ISSUER: 'id.example.org' }, /OAUTH2_ISSUER: .*not a URL/],
    [
      'OAUTH2_ISSUER scheme',
      { ENABLE_OAUTH2: '1', OAUTH2_ISSUER: 'ftp://id.example.org' },
      /OAUTH2_ISSUER: .*allowed: http:\/\/ or https:\/\//,
    ],
    [
      'OAUTH2_INTROSPECTION_URL injection',
      { ENABLE_OAUTH2: '1', OAUTH2_INTROSPECTION_URL: 'http://x/a\n}' },
      /OAUTH2_INTROSPECTION_URL: contains/,
    ],
    [
      'OAUTH2_AUDIENCE quote',
      { ENABLE_OAUTH2: '1', OAUTH2_ISSUER: 'http://x', OAUTH2_AUDIENCE: 'a"b' },
      /OAUTH2_AUDIENCE: contains "\\""/,
    ],
    [
      'OAUTH2_USERNAME_CLAIM brace',
      { ENABLE_OAUTH2: '1', OAUTH2_ISSUER: 'http://x', OAUTH2_USERNAME_CLAIM: 'a}' },
      /OAUTH2_USERNAME_CLAIM: contains "}"/,
    ],
    [
      'OAUTH2_REQUIRED_SCOPE newline',
      { ENABLE_OAUTH2: '1', OAUTH2_ISSUER: 'http://x', OAUTH2_REQUIRED_SCOPE: 'mail\nx' },
      /OAUTH2_REQUIRED_SCOPE: contains/,
    ],
    [
      'OAUTH2_CLIENT_ID alone',
      { ENABLE_OAUTH2: '1', OAUTH2_ISSUER: 'http://x', OAUTH2_CLIENT_ID: 'a' },
      /OAUTH2_CLIENT_ID, OAUTH2_CLIENT_SECRET: only one is set/,
    ],
    ['OAUTH2_CLOCK_SKEW', { OAUTH2_CLOCK_SKEW: '-1' }, /OAUTH2_CLOCK_SKEW: .*whole number of seconds/],
    ['OAUTH2_CACHE_REVALIDATE', { OAUTH2_CACHE_REVALIDATE: '5m' }, /OAUTH2_CACHE_REVALIDATE: .*whole number/],
    ['OAUTH2_CACHE_MAX_TTL', { OAUTH2_CACHE_MAX_TTL: 'x' }, /OAUTH2_CACHE_MAX_TTL: .*whole number/],
    ['OAUTH2_NEGATIVE_CACHE_TTL', { OAUTH2_NEGATIVE_CACHE_TTL: '1.5' }, /OAUTH2_NEGATIVE_CACHE_TTL: .*whole number/],
    ['SCIM_TOKEN short', { SCIM_TOKEN: 'short-secret' }, /SCIM_TOKEN: is not 32 to 512 printable characters/],
    [
      'SCIM_TOKEN with LDAP',
      {
        SCIM_TOKEN: 'x'.repeat(32),
        ACCOUNT_PROVISIONER: 'LDAP',
        LDAP_SERVER_HOST: 'ldap://ldap',
        LDAP_SEARCH_BASE: 'dc=example,dc=org',
      },
      /SCIM_TOKEN: SCIM creates accounts here, but they come from LDAP/,
    ],
    [
      'PROVISIONING_PURGE_AFTER',
      { PROVISIONING_PURGE_AFTER: '30' },
      /PROVISIONING_PURGE_AFTER: "30" is not a duration; allowed: .*s, m, h or d/,
    ],
    ['HTTPS_PORT a mail port', { HTTPS_PORT: '993' }, /HTTPS_PORT: "993" is not a free port/],
    [
      'BRUTE_FORCE_ALLOWLIST',
      { BRUTE_FORCE_ALLOWLIST: '10.0.0.0/33' },
      /BRUTE_FORCE_ALLOWLIST: "10.0.0.0\/33" is not a network/,
    ],
    ['BRUTE_FORCE_WINDOW', { BRUTE_FORCE_WINDOW: 'soon' }, /BRUTE_FORCE_WINDOW: "soon" is not a duration/],
    [
      'BRUTE_FORCE_DELAY_AFTER',
      { BRUTE_FORCE_DELAY_AFTER: '-1' },
      /BRUTE_FORCE_DELAY_AFTER: "-1" is not a whole number/,
    ],
    ['BRUTE_FORCE_BAN_AFTER zero', { BRUTE_FORCE_BAN_AFTER: '0' }, /BRUTE_FORCE_BAN_AFTER: "0" would ban at once/],
    [
      '__FILE unreadable',
      { OAUTH2_CLIENT_SECRET__FILE: '/nonexistent/secret' },
      /OAUTH2_CLIENT_SECRET__FILE: cannot read/,
    ],
    [
      '__FILE and value',
      { OAUTH2_CLIENT_SECRET: 'a', OAUTH2_CLIENT_SECRET__FILE: '/etc/hostname' },
      /both OAUTH2_CLIENT_SECRET and OAUTH2_CLIENT_SECRET__FILE/,
    ],
    [
      'OAUTH2_AUDIENCE missing with local JWT checks',
      { ENABLE_OAUTH2: '1', OAUTH2_ISSUER: 'https://id.example.org' },
      /OAUTH2_AUDIENCE: is required, so that only tokens meant for this mail server sign in/,
    ],
    [
      'OAUTH2_AUDIENCE missing with introspection',
      {
        ENABLE_OAUTH2: '1',
        OAUTH2_INTROSPECTION_URL: 'https://id.example.org/introspect',
        OAUTH2_CLIENT_ID: 'mail',
        OAUTH2_CLIENT_SECRET: 's',
      },
      /OAUTH2_AUDIENCE: is required/,
    ],
    [
      'OAUTH2_ACCEPT_ANY_AUDIENCE beside an audience',
      {
        ENABLE_OAUTH2: '1',
        OAUTH2_ISSUER: 'https://id.example.org',
        OAUTH2_AUDIENCE: 'mail',
        OAUTH2_ACCEPT_ANY_AUDIENCE: '1',
      },
      /OAUTH2_ACCEPT_ANY_AUDIENCE: is on while OAUTH2_AUDIENCE is set/,
    ],
    [
      'OAUTH2_AUDIENCE empty',
      { ENABLE_OAUTH2: '1', OAUTH2_ISSUER: 'https://id.example.org', OAUTH2_AUDIENCE: ' , ' },
      /OAUTH2_AUDIENCE: is empty/,
    ],
    [
      'OAUTH2_ISSUER over plain http',
      { ENABLE_OAUTH2: '1', OAUTH2_ISSUER: 'http://id.example.org', OAUTH2_AUDIENCE: 'mail' },
      /OAUTH2_ISSUER: "http:\/\/id\.example\.org" is plain http; allowed: an https:\/\/ URL \(or OAUTH2_ALLOW_HTTP=1/,
    ],
    [
      'OAUTH2_INTROSPECTION_URL over plain http',
      { ENABLE_OAUTH2: '1', OAUTH2_INTROSPECTION_URL: 'http://id.example.org/me' },
      /OAUTH2_INTROSPECTION_URL: .* is plain http/,
    ],
    [
      'OAUTH2_TLS_CA_FILE unreadable',
      {
        ENABLE_OAUTH2: '1',
        OAUTH2_ISSUER: 'https://id.example.org',
        OAUTH2_AUDIENCE: 'mail',
        OAUTH2_TLS_CA_FILE: '/nonexistent/ca.pem',
      },
      /OAUTH2_TLS_CA_FILE: cannot read "\/nonexistent\/ca\.pem" \(ENOENT\)/,
    ],
    [
      'BRUTE_FORCE_IPV6_PREFIX',
      { BRUTE_FORCE_IPV6_PREFIX: '0' },
      /BRUTE_FORCE_IPV6_PREFIX: "0" is no IPv6 prefix length/,
    ],
    [
      'APP_PASSWORD_SUSPEND_AFTER too long',
      { APP_PASSWORD_SUSPEND_AFTER: '400d' },
      /APP_PASSWORD_SUSPEND_AFTER: is out of range; allowed: 1h to 365d/,
    ],
    [
      'PERMIT_DOCKER',
      { PERMIT_DOCKER: 'everyone' },
      /PERMIT_DOCKER: "everyone" is not one of the choices; allowed: none, container, host, network, connected-networks/,
    ],
    [
      'PROXY_PROTOCOL_NETWORKS',
      { PROXY_PROTOCOL_NETWORKS: 'haproxy' },
      /PROXY_PROTOCOL_NETWORKS: "haproxy" is not a network/,
    ],
    [
      'LOGIN_TRUSTED_NETWORKS',
      { LOGIN_TRUSTED_NETWORKS: '10.0.0.0/99' },
      /LOGIN_TRUSTED_NETWORKS: "10.0.0.0\/99" is not a network/,
    ],
  ];
  for (const [name, env, message] of bad) {
    it(`refuses a bad ${name} with a message naming it`, () => {
      const problems = problemsOf({ ...base, ...env });
      assert.ok(
        problems.some((problem) => message.test(problem)),
        `got: ${problems.join(' | ')}`,
      );
    });
  }

  it('turns SCIM on with SCIM_TOKEN: the HTTPS listener, provisioning with the purge grace, and no secret in problems', () => {
    const token = 'scim-secret-'.padEnd(40, 'x');
    const settings = loadSettings({ ...base, SCIM_TOKEN: token, PROVISIONING_PURGE_AFTER: '12h', HTTPS_PORT: '9443' });
    assert.deepEqual(settings.scim, { token });
    assert.deepEqual(settings.https, { port: 9443 });
    assert.equal(settings.selfService, undefined);
    assert.deepEqual([settings.provisioning?.jit, settings.provisioning?.purgeAfterSeconds], [false, 12 * 3600]);
    assert.equal(loadSettings(base).provisioning, undefined);
    assert.equal(loadSettings(base).https, undefined);
    assert.equal(loadSettings({ ...base, SCIM_TOKEN: token }).provisioning?.purgeAfterSeconds, 30 * 86_400);
    assert.doesNotMatch(problemsOf({ ...base, SCIM_TOKEN: 'short but secret' }).join('\n'), /short but secret/);
  });

  it('reads the brute-force settings, on by default with loopback allowed', () => {
    assert.deepEqual(loadSettings(base).bruteForce, {
      windowSeconds: 900,
      delayAfter: 5,
      banAfter: 20,
      accountBanAfter: 100,
      banSeconds: 900,
      allowlist: ['127.0.0.0/8', '::1'],
      ipv6Prefix: 64,
    });
    const tuned = loadSettings({
      ...base,
      BRUTE_FORCE_WINDOW: '1h',
      BRUTE_FORCE_BAN_TIME: '2m',
      BRUTE_FORCE_ALLOWLIST: '192.168.0.0/16 2001:db8::/32',
      BRUTE_FORCE_ACCOUNT_BAN_AFTER: '0',
      BRUTE_FORCE_IPV6_PREFIX: '56',
    });
    assert.deepEqual(
      [
        tuned.bruteForce?.windowSeconds,
        tuned.bruteForce?.banSeconds,
        tuned.bruteForce?.accountBanAfter,
        tuned.bruteForce?.ipv6Prefix,
      ],
      [3600, 120, 0, 56],
    );
    assert.match(
      problemsOf({ ...base, BRUTE_FORCE_IPV6_PREFIX: '129' }).join('\n'),
      /BRUTE_FORCE_IPV6_PREFIX: "129" is no IPv6 prefix length; allowed: 1 to 128/,
    );
    assert.deepEqual(tuned.bruteForce?.allowlist, ['192.168.0.0/16', '2001:db8::/32']);
    assert.equal(loadSettings({ ...base, BRUTE_FORCE_PROTECTION: '0' }).bruteForce, undefined);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf({ ...base, LOG_LEVEL: 'x', ENABLE_POP3: 'x', MAIL_DOMAINS: '%' });
    assert.equal(problems.length, 3);
  });

  it('shows the newlines of a value escaped, so each problem stays one line', () => {
    const [problem] = problemsOf({ ...base, OVERRIDE_HOSTNAME: 'mail.example.org\nsmtpd_relay_restrictions = permit' });
    assert.match(
      problem ?? '',
      /^OVERRIDE_HOSTNAME: "mail\.example\.org\\nsmtpd_relay_restrictions = permit" is not a host name/,
    );
  });

  it('reads AUTH_METHODS and AUTH_PROTOCOLS, refusing unknown or empty lists', () => {
    assert.deepEqual(loadSettings(base).signInDefaults, {
      methods: ['token', 'app-password', 'password'],
      protocols: ['imap', 'pop3', 'smtp', 'sieve'],
    });
    assert.deepEqual(
      loadSettings({ ...base, AUTH_METHODS: 'Token, app-password', AUTH_PROTOCOLS: 'imap smtp imap' }).signInDefaults,
      {
        methods: ['token', 'app-password'],
        protocols: ['imap', 'smtp'],
      },
    );
    assert.match(
      problemsOf({ ...base, AUTH_METHODS: 'token,ldap' }).join('\n'),
      /AUTH_METHODS: "ldap" is not one of the choices; allowed: any of token, app-password, password/,
    );
    assert.match(problemsOf({ ...base, AUTH_PROTOCOLS: ' , ' }).join('\n'), /AUTH_PROTOCOLS: is empty/);
  });

  it('warns, at every start and in config check, about the opt-outs: any audience, userinfo tokens, plain http, trusted networks', () => {
    const anyAudience = loadSettings({
      ...base,
      ENABLE_OAUTH2: '1',
      OAUTH2_ISSUER: 'https://id.example.org',
      OAUTH2_ACCEPT_ANY_AUDIENCE: '1',
    });
    assert.deepEqual(anyAudience.oauth2?.acceptAnyAudience, true);
    assert.match(
      anyAudience.warnings.join('\n'),
      /OAUTH2_ACCEPT_ANY_AUDIENCE=1: a token the IdP issued to any of its clients signs in here/,
    );
    const plainHttp = loadSettings({
      ...base,
      ENABLE_OAUTH2: '1',
      OAUTH2_ISSUER: 'http://idp:8080',
      OAUTH2_AUDIENCE: 'mail',
      OAUTH2_ALLOW_HTTP: '1',
      PERMIT_DOCKER: 'network',
    });
    assert.match(plainHttp.warnings.join('\n'), /OAUTH2_ALLOW_HTTP=1: tokens and keys travel/);
    assert.match(
      plainHttp.warnings.join('\n'),
      /PERMIT_DOCKER=network: clients on those networks send mail anywhere without signing in/,
    );
    assert.deepEqual(
      loadSettings({ ...base, ENABLE_OAUTH2: '1', OAUTH2_ISSUER: 'https://id.example.org', OAUTH2_AUDIENCE: 'mail' })
        .warnings,
      [],
    );
  });

  it("keeps docker-mailserver's userinfo mode working without an audience, warns that it cannot check one, and keeps self-service off unless switched on", () => {
    const dms = {
      ...base,
      ENABLE_OAUTH2: '1',
      OAUTH2_INTROSPECTION_URL: 'https://id.example.org/application/o/userinfo/',
    };
    const settings = loadSettings(dms);
    assert.match(settings.warnings.join('\n'), /cannot tell whom a token was issued to \(its audience\)/);
    assert.equal(settings.selfService, undefined);
    assert.equal(settings.https, undefined);
    const switchedOn = loadSettings({ ...dms, ENABLE_SELF_SERVICE: '1' });
    assert.notEqual(switchedOn.selfService, undefined);
    assert.match(switchedOn.warnings.join('\n'), /ENABLE_SELF_SERVICE=1 with a userinfo OAUTH2_INTROSPECTION_URL/);
    assert.notEqual(
      loadSettings({ ...base, ENABLE_OAUTH2: '1', OAUTH2_ISSUER: 'https://id.example.org', OAUTH2_AUDIENCE: 'mail' })
        .selfService,
      undefined,
    );
  });

  it('trusts no network by default (PERMIT_DOCKER=none), reads proxy and login-trusted networks', () => {
    assert.equal(loadSettings(base).permitDocker, 'none');
    const proxied = loadSettings({
      ...base,
      PROXY_PROTOCOL_NETWORKS: '10.0.0.5 2001:db8::/64',
      LOGIN_TRUSTED_NETWORKS: '172.18.0.0/16',
    });
    assert.deepEqual(
      [proxied.proxyProtocolNetworks, proxied.loginTrustedNetworks],
      [['10.0.0.5', '2001:db8::/64'], ['172.18.0.0/16']],
    );
    assert.equal(
      loadSettings({ ...base, APP_PASSWORD_SUSPEND_AFTER: '90d' }).appPasswordSuspendAfterSeconds,
      90 * 86_400,
    );
  });
});
