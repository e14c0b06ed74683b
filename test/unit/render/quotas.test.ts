import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadSettings } from '../../../src/config/settings.ts';
import { renderAll } from '../../../src/render/render-all.ts';

const env = { OVERRIDE_HOSTNAME: 'mail.example.org', MAIL_DOMAINS: 'example.org' };

async function rendered(extra: Record<string, string> = {}) {
  const files = Object.fromEntries(
    (await renderAll(loadSettings({ ...env, ...extra }))).map((file) => [file.path, file.content]),
  );
  return { dovecot: files['/etc/dovecot/dovecot.conf'] ?? '', main: files['/etc/postfix/main.cf'] ?? '' };
}

/** The block `name { … }` at the top level of dovecot.conf. */
const block = (conf: string, name: string) => new RegExp(`^${name} \\{\\n(?: .*\\n)*?\\}$`, 'm').exec(conf)?.[0] ?? '';

describe('quotas in the rendered configs', () => {
  it('loads the quota plugin for accounts from the accounts file too, by default (ENABLE_QUOTAS=1)', async () => {
    const { dovecot } = await rendered();
    assert.match(dovecot, /^mail_plugins \{\n {2}quota = yes\n\}$/m);
    assert.match(dovecot, /imap_quota = yes/);
    assert.match(dovecot, /^quota "User quota" \{\n {2}driver = count\n\}$/m);
  });

  it('has Postfix ask Dovecot’s quota-status on port 25 after the recipient check, through a socket in its queue', async () => {
    const { dovecot, main } = await rendered();
    const restrictions = /^smtpd_recipient_restrictions = (.*)$/m.exec(main)?.[1]?.split(/,\s*/) ?? [];
    const policy = restrictions.indexOf('check_policy_service unix:private/quota-status');
    assert.ok(policy > restrictions.indexOf('reject_unlisted_recipient'), restrictions.join(', '));
    assert.ok(restrictions.indexOf('reject_unlisted_recipient') >= 0, restrictions.join(', '));
    const service = block(dovecot, 'service quota-status');
    assert.match(service, /^ {2}executable = quota-status -p postfix$/m);
    // main.cf names the socket relative to queue_directory (Postfix is not chrooted).
    const queue = /^queue_directory = (.*)$/m.exec(main)?.[1];
    assert.match(
      service,
      new RegExp(
        `^ {2}unix_listener ${queue}/private/quota-status \\{\\n {4}mode = 0600\\n {4}user = postfix\\n {4}group = postfix\\n {2}\\}$`,
        'm',
      ),
    );
  });

  it('answers DUNNO for a mailbox with room and for an unknown user, and refuses a full one with 552 5.2.2', async () => {
    const { dovecot } = await rendered();
    // OK would accept the recipient and skip Postfix's later restrictions; an unknown user is the recipient check's to refuse.
    assert.match(dovecot, /^quota_status_success = DUNNO$/m);
    assert.match(dovecot, /^quota_status_nouser = DUNNO$/m);
    assert.match(dovecot, /^quota_status_overquota = "552 5\.2\.2 Mailbox is full"$/m);
  });

  it('with ENABLE_QUOTAS=0 has no quota plugin, no quota-status and no policy check, also for LDAP and provisioning', async () => {
    const environments: Record<string, string>[] = [
      { ENABLE_QUOTAS: '0' },
      {
        ENABLE_QUOTAS: '0',
        ACCOUNT_PROVISIONER: 'LDAP',
        LDAP_SERVER_HOST: 'ldap://ldap',
        LDAP_SEARCH_BASE: 'dc=example,dc=org',
        LDAP_ATTRIBUTE_QUOTA: 'mailQuota',
      },
      {
        ENABLE_QUOTAS: '0',
        ENABLE_OAUTH2: '1',
        OAUTH2_ISSUER: 'https://id.example.org',
        OAUTH2_AUDIENCE: 'mail',
        OAUTH2_PROVISIONING: 'jit',
        PROVISIONING_TEMPLATES: 'default:5G:imap',
      },
    ];
    for (const extra of environments) {
      const { dovecot, main } = await rendered(extra);
      assert.doesNotMatch(dovecot, /quota/, JSON.stringify(extra));
      assert.doesNotMatch(main, /check_policy_service unix:private\/quota-status/);
      assert.match(main, /^smtpd_recipient_restrictions = .*reject_unlisted_recipient$/m);
    }
  });
});

describe('the rendered configs for the deduplication Sieve', () => {
  it('leave Postfix’s Received header the topmost (Dovecot adds none on LMTP) and its queue ids long', async () => {
    const { dovecot, main } = await rendered();
    assert.match(block(dovecot, 'protocol lmtp'), /^ {2}lmtp_add_received_header = no$/m);
    assert.match(main, /^enable_long_queue_ids = yes$/m);
  });
});
