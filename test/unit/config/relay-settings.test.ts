import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resolveFileVariables } from '../../../src/config/environment.ts';
import { containerHostnameProblems } from '../../../src/config/hostname.ts';
import { withheldRelayPasswords } from '../../../src/config/relay-settings.ts';
import { loadSettings } from '../../../src/config/settings.ts';
import { problemsOf } from '../../support/config.ts';

const base = { OVERRIDE_HOSTNAME: 'mail.example.org', MAIL_DOMAINS: 'example.org' };
const problem = (env: Record<string, string>) => problemsOf({ ...base, ...env }).join('\n');

describe('relay host settings (docker-mailserver names)', () => {
  it('relays nothing by default', () => {
    assert.equal(loadSettings(base).relay, undefined);
  });

  it('takes DEFAULT_RELAY_HOST as Postfix relayhost, in every form Postfix takes, spelled one way', () => {
    const relayhostOf = (value: string) => loadSettings({ ...base, DEFAULT_RELAY_HOST: value }).relay?.relayhost;
    assert.equal(relayhostOf('[SMTP.Example.com]:587'), '[smtp.example.com]:587');
    assert.equal(relayhostOf(' example.com '), 'example.com');
    assert.equal(relayhostOf('example.com:2525'), 'example.com:2525');
    assert.equal(relayhostOf('[192.0.2.10]'), '[192.0.2.10]');
    assert.equal(relayhostOf('[2001:DB8::1]:587'), '[2001:db8::1]:587');
    const settings = loadSettings({ ...base, DEFAULT_RELAY_HOST: '[smtp.example.com]:587' });
    assert.deepEqual(settings.relay, {
      relayhost: '[smtp.example.com]:587',
      senders: undefined,
      credentials: [],
      encryptedRelays: [],
      senderDependentCredentials: false,
    });
  });

  it("keeps RELAY_HOST's own meaning: [host]:port (default 25) for senders of every served domain, no relayhost", () => {
    const relay = loadSettings({ ...base, RELAY_HOST: 'smtp.example.com' }).relay;
    assert.equal(relay?.relayhost, undefined);
    assert.equal(relay?.senders?.everyServedDomain, '[smtp.example.com]:25');
    const ported = loadSettings({ ...base, RELAY_HOST: '192.0.2.7', RELAY_PORT: '587' }).relay;
    assert.equal(ported?.senders?.everyServedDomain, '[192.0.2.7]:587');
  });

  it('gives the credentials to the relay they are set with, the password also from RELAY_PASSWORD__FILE', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'idmail-relay-')), 'password');
    writeFileSync(file, 'pa:ss wörd"#\n');
    const viaDefault = loadSettings({
      ...base,
      DEFAULT_RELAY_HOST: '[smtp.example.com]:587',
      RELAY_USER: 'apikey',
      RELAY_PASSWORD__FILE: file,
    }).relay;
    assert.deepEqual(viaDefault?.credentials, [
      { key: '[smtp.example.com]:587', user: 'apikey', password: 'pa:ss wörd"#' },
    ]);
    const viaRelayHost = loadSettings({
      ...base,
      RELAY_HOST: 'smtp.example.com',
      RELAY_PORT: '2525',
      RELAY_USER: 'me@example.org',
      RELAY_PASSWORD: 'secret',
    }).relay;
    assert.equal(viaRelayHost?.credentials[0]?.key, '[smtp.example.com]:2525');
  });

  it("reads RELAY_MAP as docker-mailserver's postfix-relaymap.cf: entries, comments, and opt-outs", () => {
    const map = '# relays\n@Example.net   [smtp.example.net]:587\n\nalice@example.org smtp.example.com\n@example.edu\n';
    const relay = loadSettings({ ...base, RELAY_HOST: 'smtp.example.com', RELAY_MAP: map }).relay;
    assert.deepEqual(
      [...(relay?.senders?.entries ?? [])],
      [
        ['@example.net', '[smtp.example.net]:587'],
        ['alice@example.org', 'smtp.example.com'],
        ['@example.edu', null],
      ],
    );
    const inline = loadSettings({
      ...base,
      DEFAULT_RELAY_HOST: 'smtp.example.com',
      RELAY_MAP: '@a.org [x.org]; @b.org y.org',
    });
    assert.deepEqual(
      [...(inline.relay?.senders?.entries ?? [])],
      [
        ['@a.org', '[x.org]'],
        ['@b.org', 'y.org'],
      ],
    );
    assert.equal(inline.relay?.senders?.everyServedDomain, undefined);
  });

  const bad: Array<[string, Record<string, string>, RegExp]> = [
    [
      'a relay host with a newline',
      { DEFAULT_RELAY_HOST: 'smtp.example.com\nrelayhost = evil' },
      /^DEFAULT_RELAY_HOST: .*is not a host name/m,
    ],
    [
      'a bare IP address',
      { DEFAULT_RELAY_HOST: '192.0.2.1:25' },
      /DEFAULT_RELAY_HOST: .*without brackets.*allowed: \[192\.0\.2\.1\]/,
    ],
    ['an IPv6 zone', { DEFAULT_RELAY_HOST: '[fe80::1%eth0]:25' }, /DEFAULT_RELAY_HOST: .*is not a host name/],
    [
      'port 0',
      { DEFAULT_RELAY_HOST: '[smtp.example.com]:0' },
      /DEFAULT_RELAY_HOST: the port "0" is not a port; allowed: 1 to 65535/,
    ],
    ['a port too large', { RELAY_HOST: 'smtp.example.com', RELAY_PORT: '65536' }, /RELAY_PORT: .*allowed: 1 to 65535/],
    [
      'a port in RELAY_HOST',
      { RELAY_HOST: 'smtp.example.com:587' },
      /RELAY_HOST: .*is more than a host name.*RELAY_PORT/,
    ],
    ['brackets in RELAY_HOST', { RELAY_HOST: '[smtp.example.com]' }, /RELAY_HOST: .*is more than a host name/],
    [
      'RELAY_HOST with DEFAULT_RELAY_HOST',
      { RELAY_HOST: 'a.example', DEFAULT_RELAY_HOST: 'b.example' },
      /DEFAULT_RELAY_HOST, RELAY_HOST: both are set/,
    ],
    [
      'RELAY_PORT alone',
      { DEFAULT_RELAY_HOST: 'b.example', RELAY_PORT: '587' },
      /RELAY_PORT: is set without RELAY_HOST/,
    ],
    ['RELAY_USER alone', { RELAY_HOST: 'a.example', RELAY_USER: 'me' }, /RELAY_USER, RELAY_PASSWORD: only one is set/],
    [
      'credentials without a relay',
      { RELAY_USER: 'me', RELAY_PASSWORD: 'pw' },
      /RELAY_USER: is set without a relay to sign in to/,
    ],
    [
      'a colon in RELAY_USER',
      { RELAY_HOST: 'a.example', RELAY_USER: 'me:you', RELAY_PASSWORD: 'pw' },
      /RELAY_USER: is not a user name/,
    ],
    [
      'a newline in RELAY_PASSWORD',
      { RELAY_HOST: 'a.example', RELAY_USER: 'me', RELAY_PASSWORD: 'pw\n[evil]:25 me:pw' },
      /RELAY_PASSWORD: is not a usable password/,
    ],
    [
      'a trailing space in RELAY_PASSWORD',
      { RELAY_HOST: 'a.example', RELAY_USER: 'me', RELAY_PASSWORD: 'pw ' },
      /RELAY_PASSWORD: is not a usable password/,
    ],
    [
      'an empty RELAY_PASSWORD (unset, as in docker-mailserver)',
      { RELAY_HOST: 'a.example', RELAY_USER: 'me', RELAY_PASSWORD: '' },
      /^RELAY_USER, RELAY_PASSWORD: only one is set; allowed: both/,
    ],
    [
      'a RELAY_MAP line with three fields',
      { RELAY_HOST: 'a.example', RELAY_MAP: '@b.org [c.org] extra' },
      /RELAY_MAP: .*more than a sender and a relay/,
    ],
    [
      'a RELAY_MAP sender that is none',
      { RELAY_HOST: 'a.example', RELAY_MAP: 'b.org [c.org]' },
      /RELAY_MAP: "b\.org" is not a mail address/,
    ],
    [
      'a RELAY_MAP sender twice',
      { RELAY_HOST: 'a.example', RELAY_MAP: '@b.org [c.org]\n@B.org' },
      /RELAY_MAP: names @b\.org twice/,
    ],
    [
      'sign-ins by sender at RELAY_HOST, which takes their mail only while their domains are served',
      { RELAY_HOST: 'a.example', RELAY_CREDENTIALS: '@example.org u:p\n@example.net v:q' },
      /RELAY_CREDENTIALS: @example\.org signs in at \[a\.example\]:25 unlike its other senders, but goes there through RELAY_HOST only while its domain is served/,
    ],
    [
      'sign-in for a sender RELAY_MAP sends directly',
      { RELAY_HOST: 'a.example', RELAY_MAP: '@b.org [c.org]:587\nalice@b.org', RELAY_CREDENTIALS: 'alice@b.org u:p' },
      /RELAY_CREDENTIALS: alice@b\.org's mail is sent directly, and its password would be offered to other mail servers/,
    ],
    [
      "a domain's sign-in by sender that would go with a sender RELAY_MAP sends to another relay",
      {
        DEFAULT_RELAY_HOST: '[a.example]:587',
        RELAY_MAP: 'bob@example.net [b.example]:587',
        RELAY_CREDENTIALS: '@example.net u:p\n@example.org v:q',
      },
      /RELAY_CREDENTIALS: @example\.net's password would go with bob@example\.net, which RELAY_MAP sends elsewhere/,
    ],
    [
      'sign-in at a server that is no relay',
      { DEFAULT_RELAY_HOST: '[a.example]:587', RELAY_CREDENTIALS: '[elsewhere.example]:587 u:p' },
      /RELAY_CREDENTIALS: \[elsewhere\.example\]:587 is no relay of DEFAULT_RELAY_HOST, RELAY_HOST or RELAY_MAP; allowed: one of \[a\.example\]:587/,
    ],
    [
      'a RELAY_CREDENTIALS line without user:password',
      { DEFAULT_RELAY_HOST: '[a.example]:587', RELAY_CREDENTIALS: '# DMS\n@b.org apikey' },
      /RELAY_CREDENTIALS: line 1 \(not counting comments\) is not "key user:password"/,
    ],
    [
      'a relay with two sign-ins',
      {
        DEFAULT_RELAY_HOST: '[a.example]:587',
        RELAY_USER: 'u',
        RELAY_PASSWORD: 'p',
        RELAY_CREDENTIALS: '[a.example]:587 v:q',
      },
      /RELAY_CREDENTIALS: \[a\.example\]:587 has a sign-in there and in RELAY_USER/,
    ],
    [
      'a RELAY_MAP opt-out without RELAY_HOST',
      { DEFAULT_RELAY_HOST: 'a.example', RELAY_MAP: '@b.org' },
      /RELAY_MAP: @b\.org would be sent directly, which only RELAY_HOST allows/,
    ],
  ];
  for (const [name, env, message] of bad) {
    it(`refuses ${name}, naming the variable and what is allowed`, () => {
      assert.match(problem(env), message);
    });
  }

  it('never shows the relay password in a problem', () => {
    const text = problem({ RELAY_HOST: 'a.example', RELAY_USER: 'me', RELAY_PASSWORD: 'hunter2-secret\n' });
    assert.match(text, /RELAY_PASSWORD/);
    assert.doesNotMatch(text, /hunter2/);
    const table = problem({ DEFAULT_RELAY_HOST: 'a.example', RELAY_CREDENTIALS: '@b.org me:hunter2\u0001' });
    assert.match(table, /RELAY_CREDENTIALS: line 1/);
    assert.doesNotMatch(table, /hunter2/);
  });

  it("reads postfix-relaymap.cf and postfix-sasl-password.cf from docker-mailserver's config folder where the variables are unset", () => {
    const folder = mkdtempSync(join(tmpdir(), 'idmail-dms-relay-'));
    writeFileSync(join(folder, 'postfix-relaymap.cf'), '@example.net [smtp.example.net]:587\n');
    writeFileSync(join(folder, 'postfix-sasl-password.cf'), '@example.net apikey:secret\n');
    const found = resolveFileVariables({ ...base, RELAY_HOST: 'smtp.example.com' }, folder);
    assert.deepEqual(found.problems, []);
    assert.equal(found.env.RELAY_MAP, '@example.net [smtp.example.net]:587');
    assert.equal(found.env.RELAY_CREDENTIALS, '@example.net apikey:secret');
    assert.equal(loadSettings(found.env).relay?.credentials[0]?.key, '[smtp.example.net]:587');
    // A variable of its own, or its __FILE, wins; without the files nothing is read.
    const own = resolveFileVariables(
      { RELAY_MAP: '@example.org [a.example]', RELAY_CREDENTIALS__FILE: '/nonexistent' },
      folder,
    );
    assert.equal(own.env.RELAY_MAP, '@example.org [a.example]');
    assert.match(own.problems.join('\n'), /^RELAY_CREDENTIALS__FILE: cannot read "\/nonexistent"/);
    const none = resolveFileVariables({}, mkdtempSync(join(tmpdir(), 'idmail-dms-empty-')));
    assert.deepEqual(none, { env: {}, problems: [] });
  });

  it("reads RELAY_CREDENTIALS as docker-mailserver's postfix-sasl-password.cf, keyed by the relay each sender's password is for", () => {
    const relay = loadSettings({
      ...base,
      RELAY_HOST: 'smtp.example.com',
      RELAY_PORT: '587',
      RELAY_MAP: '@example.net [smtp.example.net]:2525\n@example.edu [smtp.example.edu]\nalice@example.net',
      RELAY_CREDENTIALS: '# setup relay add-auth\n@Example.net apikey:pa ss:word\n[smtp.example.com]:587 me:other\n',
    }).relay;
    // Keyed by relay: alice@example.net, sent directly, is never given example.net's password.
    assert.deepEqual(relay?.credentials, [
      { key: '[smtp.example.net]:2525', user: 'apikey', password: 'pa ss:word' },
      { key: '[smtp.example.com]:587', user: 'me', password: 'other' },
    ]);
    assert.deepEqual(relay?.encryptedRelays, ['[smtp.example.net]:2525', '[smtp.example.com]:587']);
    assert.equal(relay?.senderDependentCredentials, false);
    // docker-mailserver's commonest form: RELAY_HOST and `setup relay add-auth` for a served domain.
    const legacy = loadSettings({ ...base, RELAY_HOST: 'smtp.example.com', RELAY_CREDENTIALS: '@example.org u:p' });
    assert.deepEqual(legacy.relay?.credentials, [{ key: '[smtp.example.com]:25', user: 'u', password: 'p' }]);
  });

  it('hands the unprivileged processes no relay password, their settings otherwise the same', () => {
    const env = {
      ...base,
      DEFAULT_RELAY_HOST: '[smtp.example.com]:587',
      RELAY_USER: 'me',
      RELAY_PASSWORD: 'relay-secret-1',
      RELAY_CREDENTIALS: '@example.net u:relay-secret-2\n@example.org v:relay-secret-3',
    };
    const handed = withheldRelayPasswords(env);
    assert.doesNotMatch(JSON.stringify(handed), /relay-secret/);
    const { relay } = loadSettings(handed);
    assert.deepEqual(
      relay?.credentials.map(({ key, user }) => `${key} ${user}`),
      ['@example.net u', '@example.org v', '[smtp.example.com]:587 me'],
    );
  });

  it('keys by sender only where a relay has several sign-ins, each sender certain to go there', () => {
    const relay = loadSettings({
      ...base,
      DEFAULT_RELAY_HOST: '[smtp.example.com]:587',
      RELAY_MAP: 'bob@example.net [b.example]:587',
      RELAY_CREDENTIALS: '@example.net u:p\n@example.org v:q\nbob@example.net w:r',
    }).relay;
    assert.deepEqual(relay?.credentials, [
      { key: '@example.net', user: 'u', password: 'p' },
      { key: '@example.org', user: 'v', password: 'q' },
      { key: '[b.example]:587', user: 'w', password: 'r' },
    ]);
    assert.deepEqual(relay?.encryptedRelays, ['[smtp.example.com]:587', '[b.example]:587']);
    assert.equal(relay?.senderDependentCredentials, true);
  });
});

describe('message size limit (POSTFIX_MESSAGE_SIZE_LIMIT)', () => {
  it("has docker-mailserver's default, takes bytes, and warns about 0 (no limit)", () => {
    assert.equal(loadSettings(base).messageSizeLimit, 10_240_000);
    assert.equal(loadSettings({ ...base, POSTFIX_MESSAGE_SIZE_LIMIT: '52428800' }).messageSizeLimit, 52_428_800);
    const unlimited = loadSettings({ ...base, POSTFIX_MESSAGE_SIZE_LIMIT: '0' });
    assert.equal(unlimited.messageSizeLimit, 0);
    assert.ok(unlimited.warnings.some((warning) => warning.startsWith('POSTFIX_MESSAGE_SIZE_LIMIT=0')));
    assert.ok(!loadSettings(base).warnings.some((warning) => warning.includes('POSTFIX_MESSAGE_SIZE_LIMIT')));
  });

  it('reads an empty value as unset, as docker-mailserver does: its default', () => {
    assert.equal(loadSettings({ ...base, POSTFIX_MESSAGE_SIZE_LIMIT: '' }).messageSizeLimit, 10_240_000);
  });

  for (const value of ['10M', '-1', '50', '1e9', ' ']) {
    it(`refuses "${value}": a whole number of bytes, or 0`, () => {
      assert.match(
        problem({ POSTFIX_MESSAGE_SIZE_LIMIT: value }),
        /POSTFIX_MESSAGE_SIZE_LIMIT: .*allowed: a whole number of bytes/,
      );
    });
  }
});

describe('a fully qualified hostname', () => {
  for (const name of ['mail', 'localhost', '10.0.0.1', 'mail.example.123']) {
    it(`refuses OVERRIDE_HOSTNAME=${name}`, () => {
      assert.match(
        problem({ OVERRIDE_HOSTNAME: name }),
        new RegExp(
          `^OVERRIDE_HOSTNAME: "${name.replaceAll('.', '\\.')}" is not fully qualified; allowed: a fully qualified domain name`,
          'm',
        ),
      );
    });
  }

  it('takes a fully qualified OVERRIDE_HOSTNAME, whatever the container is called', () => {
    assert.equal(loadSettings({ ...base, OVERRIDE_HOSTNAME: 'MX1.Example.org' }).hostname, 'mx1.example.org');
  });

  it('refuses a container hostname that is not fully qualified when OVERRIDE_HOSTNAME is unset, naming both', () => {
    const [bare] = containerHostnameProblems(undefined, '4f3c2a1b9d0e');
    assert.match(
      bare ?? '',
      /^OVERRIDE_HOSTNAME: is unset and the container's hostname "4f3c2a1b9d0e" is not fully qualified; allowed: OVERRIDE_HOSTNAME, or the container's hostname \(compose: hostname:\)/,
    );
    assert.equal(containerHostnameProblems(undefined, 'bad_name.example.org').length, 1);
    assert.deepEqual(containerHostnameProblems(undefined, 'Mail.Example.org'), []);
    // Set, the override is checked by its own validator, and the container's name does not matter.
    assert.deepEqual(containerHostnameProblems('mail', '4f3c2a1b9d0e'), []);
  });
});
