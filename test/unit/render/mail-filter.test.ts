import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { postfixMaps } from '../../../src/adapters/postfix-socketmap.ts';
import type { Directory } from '../../../src/auth/directory.ts';
import { loadSettings } from '../../../src/config/settings.ts';
import { renderAll } from '../../../src/render/render-all.ts';
import { problemsOf } from '../../support/config.ts';

const env = { OVERRIDE_HOSTNAME: 'mail.example.org', MAIL_DOMAINS: 'example.org' };

async function rendered(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return Object.fromEntries(
    (await renderAll(loadSettings({ ...env, ...extra }))).map((file) => [file.path, file.content]),
  );
}

describe('rspamd as the milter', () => {
  it('is on by default: Postfix hands every message to it, and refuses for now when it does not answer', async () => {
    const main = (await rendered())['/etc/postfix/main.cf']!;
    assert.match(main, /^smtpd_milters = unix:\/run\/rspamd\/milter\.sock$/m);
    assert.match(main, /^non_smtpd_milters = \$smtpd_milters$/m);
    assert.match(main, /^milter_default_action = tempfail$/m);
    const off = (await rendered({ ENABLE_RSPAMD: '0' }))['/etc/postfix/main.cf']!;
    assert.doesNotMatch(off, /milter/);
  });

  it('files spam into Junk before the user filters, unless MOVE_SPAM_TO_JUNK=0 or rspamd is off', async () => {
    const junk =
      /sieve_script spam-to-junk \{\n {2}type = before\n {2}driver = file\n {2}path = \/usr\/share\/idmail\/sieve\/spam-to-junk\.sieve\n/;
    assert.match((await rendered())['/etc/dovecot/dovecot.conf']!, junk);
    assert.doesNotMatch((await rendered({ MOVE_SPAM_TO_JUNK: '0' }))['/etc/dovecot/dovecot.conf']!, /spam-to-junk/);
    assert.doesNotMatch((await rendered({ ENABLE_RSPAMD: '0' }))['/etc/dovecot/dovecot.conf']!, /spam-to-junk/);
  });

  it('uses Valkey, learning and greylisting only when switched on, and says so in each file', async () => {
    const off = await rendered();
    assert.doesNotMatch(off['/etc/rspamd/local.d/redis.conf']!, /servers/);
    assert.match(off['/etc/rspamd/local.d/worker-controller.inc']!, /^enabled = false;$/m);
    assert.match(off['/etc/rspamd/override.d/greylist.conf']!, /^enabled = false;$/m);
    const on = await rendered({ ENABLE_RSPAMD_REDIS: '1', RSPAMD_GREYLISTING: '1' });
    assert.match(on['/etc/rspamd/local.d/redis.conf']!, /^servers = "\/run\/valkey\/valkey\.sock";$/m);
    assert.match(
      on['/etc/rspamd/local.d/worker-controller.inc']!,
      /^bind_socket = "\/run\/rspamd\/controller\.sock mode=0600 owner=root";$/m,
    );
    assert.match(on['/etc/rspamd/override.d/greylist.conf']!, /^enabled = true;$/m);
  });

  it("greylists with docker-mailserver's ENABLE_POSTGREY, Valkey on, for POSTGREY_DELAY and POSTGREY_MAX_AGE, with POSTGREY_TEXT", async () => {
    const postgrey = await rendered({
      ENABLE_POSTGREY: '1',
      POSTGREY_DELAY: '120',
      POSTGREY_TEXT: '"Delayed by Postgrey"',
    });
    const greylist = postgrey['/etc/rspamd/override.d/greylist.conf']!;
    assert.match(
      greylist,
      /^enabled = true;\n# .*\ntimeout = 120s;\nexpire = 35d;\nmessage = "Delayed by Postgrey";$/m,
    );
    assert.match(postgrey['/etc/rspamd/local.d/redis.conf']!, /^servers = "\/run\/valkey\/valkey\.sock";$/m);
    const own = (await rendered({ ENABLE_RSPAMD_REDIS: '1', RSPAMD_GREYLISTING: '1' }))[
      '/etc/rspamd/override.d/greylist.conf'
    ]!;
    assert.match(own, /^timeout = 300s;$/m);
    // RSPAMD_GREYLISTING alone keeps rspamd's own memory (a day); Postgrey's 35 days come with ENABLE_POSTGREY.
    assert.doesNotMatch(own, /message|expire/);
    for (const [name, value] of [
      ['POSTGREY_DELAY', '1000000000000000000000'],
      ['POSTGREY_MAX_AGE', '0'],
    ] as const)
      assert.match(
        problemsOf({ ...env, ENABLE_POSTGREY: '1', [name]: value }).join('\n'),
        new RegExp(`^${name}: .*allowed: `, 'm'),
      );
    assert.match(
      problemsOf({ ...env, ENABLE_POSTGREY: '1', ENABLE_RSPAMD_REDIS: '0' }).join('\n'),
      /^ENABLE_POSTGREY: greylisting is rspamd's here and keeps its memory in Redis; allowed: /m,
    );
    assert.match(
      problemsOf({ ...env, POSTGREY_TEXT: 'say "hi"' }).join('\n'),
      /^POSTGREY_TEXT: "say "hi"" is not a plain text; allowed: /m,
    );
  });

  it("prefixes the subject of spam with docker-mailserver's SPAM_SUBJECT, before Junk, with editheader for that script only", async () => {
    const files = await rendered({ SPAM_SUBJECT: "'[SPAM] '" });
    assert.match(
      files['/etc/dovecot/spam-subject.sieve']!,
      /^ {2}addheader :last "Subject" "\[SPAM\] \$\{subject\}";$/m,
    );
    const dovecot = files['/etc/dovecot/dovecot.conf']!;
    assert.match(dovecot, /^sieve_global_extensions \{\n {2}editheader = yes\n\}$/m);
    assert.doesNotMatch(dovecot, /^sieve_extensions \{[^}]*editheader/m);
    assert.ok(dovecot.indexOf('sieve_script spam-subject') < dovecot.indexOf('sieve_script spam-to-junk'));
    const plain = await rendered();
    assert.equal(plain['/etc/dovecot/spam-subject.sieve'], undefined);
    assert.doesNotMatch(plain['/etc/dovecot/dovecot.conf']!, /editheader|spam-subject/);
    for (const bad of ['costs $5', 'a "b"', 'back\\slash', 'tab\there'])
      assert.match(
        problemsOf({ ...env, SPAM_SUBJECT: bad }).join('\n'),
        /^SPAM_SUBJECT: .* is not a plain text; allowed: /m,
        bad,
      );
    assert.match(
      problemsOf({ ...env, ENABLE_RSPAMD: '0', SPAM_SUBJECT: '[SPAM]' }).join('\n'),
      /^SPAM_SUBJECT: .*rspamd is off/m,
    );
  });

  it('refuses greylisting without Redis, Redis without rspamd, and selectors that are no DNS label', () => {
    assert.match(
      problemsOf({ ...env, RSPAMD_GREYLISTING: '1' }).join('\n'),
      /^RSPAMD_GREYLISTING: .*ENABLE_RSPAMD_REDIS=1/m,
    );
    assert.match(
      problemsOf({ ...env, ENABLE_RSPAMD: '0', ENABLE_RSPAMD_REDIS: '1' }).join('\n'),
      /^ENABLE_RSPAMD_REDIS: /m,
    );
    assert.match(problemsOf({ ...env, DKIM_SELECTOR: 'a.b' }).join('\n'), /^DKIM_SELECTOR: "a\.b" is no DNS label/m);
    assert.match(problemsOf({ ...env, DKIM_KEY_SIZE: '512' }).join('\n'), /^DKIM_KEY_SIZE: /m);
    assert.deepEqual(loadSettings({ ...env, DKIM_SELECTOR: ' Idmail-2 ', DKIM_KEY_SIZE: '4096' }).filter?.dkim, {
      selector: 'idmail-2',
      keyBits: 4096,
    });
  });
});

describe('port 25 hygiene', () => {
  it("refuses unanswerable names, unknown sender domains, early talkers and our own domains as strangers' senders", async () => {
    const main = (await rendered())['/etc/postfix/main.cf']!;
    assert.match(
      main,
      /^smtpd_helo_restrictions = permit_mynetworks, reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname$/m,
    );
    assert.match(
      main,
      /^smtpd_sender_restrictions = permit_mynetworks, reject_non_fqdn_sender, reject_unknown_sender_domain, check_sender_access socketmap:unix:\/run\/idmail\/postfix-maps\.sock:ownDomainSender$/m,
    );
    assert.match(main, /^smtpd_data_restrictions = reject_unauth_pipelining$/m);
    assert.match(main, /^smtpd_recipient_restrictions = reject_non_fqdn_recipient, reject_unlisted_recipient/m);
  });

  it('answers an address of a served domain as sender with a refusal (Postfix asks a socketmap the whole address only), nothing for others', async () => {
    const directory = { servesDomain: async (domain: string) => domain === 'example.org' } as unknown as Directory;
    const { ownDomainSender } = postfixMaps(directory, {
      postmaster: 'postmaster@example.org',
      senderRelays: undefined,
    });
    assert.match((await ownDomainSender('ceo@example.org')) ?? '', /^REJECT 5\.7\.1 /);
    assert.match((await ownDomainSender('CEO@Example.ORG')) ?? '', /^REJECT 5\.7\.1 /);
    assert.equal(await ownDomainSender('someone@elsewhere.example'), undefined);
    assert.equal(await ownDomainSender('<>'), undefined);
  });
});
