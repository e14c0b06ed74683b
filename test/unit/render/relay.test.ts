import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { loadSettings } from '../../../src/config/settings.ts';
import { renderAll, writeRendered } from '../../../src/render/render-all.ts';

const base = { OVERRIDE_HOSTNAME: 'mail.example.org', MAIL_DOMAINS: 'example.org' };
const SIGNED_IN = {
  ...base,
  DEFAULT_RELAY_HOST: '[smtp.example.com]:587',
  RELAY_USER: 'apikey',
  RELAY_PASSWORD: 'pa:ss wörd',
};

async function rendered(env: Record<string, string>): Promise<Record<string, string>> {
  return Object.fromEntries((await renderAll(loadSettings(env))).map((file) => [file.path, file.content]));
}

const mainCf = async (env: Record<string, string>) => (await rendered(env))['/etc/postfix/main.cf'] ?? '';
const line = (name: string, value: string) => new RegExp(`^${name} = ${value.replace(/[[\]().*+?]/g, '\\$&')}$`, 'm');

describe('relaying through a relay host (main.cf and its tables)', () => {
  it('signs in with RELAY_CREDENTIALS: keyed by relay, by sender where a relay has several, TLS required to each', async () => {
    const byRelay = await rendered({
      ...base,
      RELAY_HOST: 'smtp.example.com',
      RELAY_MAP: '@example.net [smtp.example.net]:2525\n@example.edu [smtp.example.edu]',
      RELAY_CREDENTIALS: '@example.net apikey:secret',
    });
    assert.equal(byRelay['/etc/postfix/sasl_passwd'], '[smtp.example.net]:2525 apikey:secret\n');
    assert.equal(byRelay['/etc/postfix/relay_tls_policy'], '[smtp.example.net]:2525 encrypt\n');
    assert.doesNotMatch(byRelay['/etc/postfix/main.cf']!, /smtp_sender_dependent_authentication/);
    const bySender = await rendered({
      ...base,
      DEFAULT_RELAY_HOST: '[smtp.example.com]:587',
      RELAY_CREDENTIALS: '@example.net u:p\n@example.org v:q',
    });
    assert.equal(bySender['/etc/postfix/sasl_passwd'], '@example.net u:p\n@example.org v:q\n');
    assert.equal(bySender['/etc/postfix/relay_tls_policy'], '[smtp.example.com]:587 encrypt\n');
    assert.match(bySender['/etc/postfix/main.cf']!, line('smtp_sender_dependent_authentication', 'yes'));
  });

  it('sends directly without a relay: no relay settings, no tables', async () => {
    const files = await rendered(base);
    assert.doesNotMatch(
      files['/etc/postfix/main.cf'] ?? '',
      /relayhost|smtp_sasl|smtp_tls_policy_maps|smtp_host_lookup/,
    );
    assert.equal(files['/etc/postfix/sasl_passwd'], undefined);
  });

  it('makes DEFAULT_RELAY_HOST the relayhost, and RELAY_HOST a sender-dependent map answered by the helper', async () => {
    const relayhost = await mainCf({ ...base, DEFAULT_RELAY_HOST: '[smtp.example.com]:587' });
    assert.match(relayhost, line('relayhost', '[smtp.example.com]:587'));
    assert.doesNotMatch(relayhost, /sender_dependent_relayhost_maps|smtp_sasl_auth_enable/);
    assert.match(relayhost, line('smtp_host_lookup', 'dns, native'));
    const bySender = await mainCf({ ...base, RELAY_HOST: 'smtp.example.com' });
    assert.doesNotMatch(bySender, /^relayhost/m);
    assert.match(
      bySender,
      line('sender_dependent_relayhost_maps', 'socketmap:unix:/run/idmail/postfix-maps.sock:relay'),
    );
  });

  it('signs in at the relay over TLS only: encrypt for that relay, no plaintext mechanism without TLS', async () => {
    const main = await mainCf(SIGNED_IN);
    assert.match(main, line('smtp_sasl_auth_enable', 'yes'));
    assert.match(main, line('smtp_sasl_password_maps', 'texthash:/etc/postfix/sasl_passwd'));
    assert.match(main, line('smtp_sasl_security_options', 'noanonymous, noplaintext'));
    assert.match(main, line('smtp_sasl_tls_security_options', 'noanonymous'));
    assert.match(main, line('smtp_tls_policy_maps', 'texthash:/etc/postfix/relay_tls_policy'));
    assert.match(main, line('tls_required_enable', 'no'));
    // Every other destination keeps opportunistic TLS.
    assert.match(main, line('smtp_tls_security_level', 'may'));
    assert.doesNotMatch(main, /apikey|pa:ss/);
    const files = await rendered(SIGNED_IN);
    assert.equal(files['/etc/postfix/relay_tls_policy'], '[smtp.example.com]:587 encrypt\n');
  });

  it('writes the password table for the relay alone, 0600, its content as Postfix reads it', async () => {
    const settings = loadSettings({
      ...base,
      RELAY_HOST: 'smtp.example.com',
      RELAY_PORT: '2525',
      RELAY_USER: 'apikey',
      RELAY_PASSWORD: 'pa:ss wörd',
    });
    const files = await renderAll(settings);
    const table = files.find((file) => file.path === '/etc/postfix/sasl_passwd');
    assert.equal(table?.content, '[smtp.example.com]:2525 apikey:pa:ss wörd\n');
    assert.equal(table?.mode, 0o600);
    const out = await mkdtemp(join(tmpdir(), 'idmail-relay-'));
    const written = join(out, '/etc/postfix/sasl_passwd');
    // A table an earlier start left readable is made private before the password goes into it.
    await mkdir(dirname(written), { recursive: true });
    await writeFile(written, 'old', { mode: 0o644 });
    await writeRendered(files, out);
    assert.equal((await stat(written)).mode & 0o777, 0o600);
    assert.equal(await readFile(written, 'utf8'), '[smtp.example.com]:2525 apikey:pa:ss wörd\n');
    assert.equal((await stat(join(out, '/etc/postfix/main.cf'))).mode & 0o777, 0o644);
  });
});

describe("the postmaster gets Postfix's own notices; the message size limit holds everywhere", () => {
  it('names the postmaster as the recipient of every notice', async () => {
    const main = await mainCf({ ...base, POSTMASTER_ADDRESS: 'admin@example.org' });
    for (const notice of ['bounce', '2bounce', 'delay', 'error'])
      assert.match(main, line(`${notice}_notice_recipient`, 'admin@example.org'));
  });

  it('writes POSTFIX_MESSAGE_SIZE_LIMIT into main.cf, and into Dovecot where quotas are on', async () => {
    assert.match(await mainCf(base), line('message_size_limit', '10240000'));
    const files = await rendered({ ...base, POSTFIX_MESSAGE_SIZE_LIMIT: '52428800', ENABLE_QUOTAS: '1' });
    assert.match(files['/etc/postfix/main.cf'] ?? '', line('message_size_limit', '52428800'));
    assert.match(files['/etc/dovecot/dovecot.conf'] ?? '', line('quota_mail_size', '52428800B'));
    const unlimited = await rendered({ ...base, POSTFIX_MESSAGE_SIZE_LIMIT: '0', ENABLE_QUOTAS: '1' });
    assert.match(unlimited['/etc/postfix/main.cf'] ?? '', line('message_size_limit', '0'));
    assert.match(unlimited['/etc/dovecot/dovecot.conf'] ?? '', line('quota_mail_size', 'unlimited'));
    const noQuotas = await rendered({ ...base, ENABLE_QUOTAS: '0' });
    assert.doesNotMatch(noQuotas['/etc/dovecot/dovecot.conf'] ?? '', /quota_mail_size/);
  });
});
