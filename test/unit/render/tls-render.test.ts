import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadSettings } from '../../../src/config/settings.ts';
import { renderAll } from '../../../src/render/render-all.ts';

const env = {
  OVERRIDE_HOSTNAME: 'mail.example.org',
  MAIL_DOMAINS: 'example.org',
  SSL_CERT_PATH: '/certs/fullchain.pem',
  SSL_KEY_PATH: '/certs/privkey.pem',
};

async function rendered(path: string): Promise<string> {
  const file = (await renderAll(loadSettings(env))).find((candidate) => candidate.path === path);
  assert.ok(file !== undefined, path);
  return file.content;
}

describe('the certificate in the rendered configs', () => {
  it('gives Postfix the checked copy as one file, key then chain, never the source files', async () => {
    const main = await rendered('/etc/postfix/main.cf');
    assert.match(main, /^smtpd_tls_chain_files = \/run\/idmail-tls\/chain\.pem$/m);
    assert.doesNotMatch(main, /smtpd_tls_(cert|key)_file|\/certs\//);
  });

  it('gives Dovecot the checked copy, and keeps open sessions across the reload that brings a new one', async () => {
    const dovecot = await rendered('/etc/dovecot/dovecot.conf');
    assert.match(dovecot, /^ssl_server_cert_file = \/run\/idmail-tls\/fullchain\.pem$/m);
    assert.match(dovecot, /^ssl_server_key_file = \/run\/idmail-tls\/privkey\.pem$/m);
    assert.match(dovecot, /^shutdown_clients = no$/m);
    assert.doesNotMatch(dovecot, /\/certs\//);
  });
});
