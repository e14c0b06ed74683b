import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import {
  certificateReport,
  installCertificates,
  syncCertificates,
} from '../../../src/certificates/certificate-install.ts';
import { ConfigError, loadSettings, type Settings } from '../../../src/config/settings.ts';
import { selfSignedPair, type TestPair } from '../../support/certificates.ts';

const HOST = 'mail.example.org';

/** Settings for SSL_TYPE=manual with the source and the installed copy in a scratch directory. */
function scratchSettings(): { settings: Settings; source: { cert: string; key: string } } {
  const directory = mkdtempSync(join(tmpdir(), 'idmail-sync-'));
  const source = { cert: join(directory, 'fullchain.pem'), key: join(directory, 'privkey.pem') };
  const loaded = loadSettings({ OVERRIDE_HOSTNAME: HOST, SSL_CERT_PATH: source.cert, SSL_KEY_PATH: source.key });
  const installed = join(directory, 'installed');
  const tls = {
    ...loaded.tls,
    directory: installed,
    certPath: join(installed, 'fullchain.pem'),
    keyPath: join(installed, 'privkey.pem'),
    chainPath: join(installed, 'chain.pem'),
  };
  return { settings: { ...loaded, tls }, source };
}

const put = (source: { cert: string; key: string }, pair: { cert?: string; key?: string }) => {
  if (pair.cert !== undefined) writeFileSync(source.cert, pair.cert);
  if (pair.key !== undefined) writeFileSync(source.key, pair.key);
};
const installed = (settings: Settings) => readFileSync(settings.tls.certPath, 'utf8');
const shellFingerprint = (files: string[]) =>
  execFileSync('sh', ['-c', 'cat -- "$@" 2>/dev/null | sha256sum', 'sh', ...files], { encoding: 'utf8' }).split(' ')[0];

describe('installing the certificate and taking up a new one', () => {
  let settings: Settings;
  let source: { cert: string; key: string };
  let first: TestPair;
  let reload: ReturnType<typeof mock.fn<(settings: Settings) => Promise<string[]>>>;
  beforeEach(async () => {
    ({ settings, source } = scratchSettings());
    first = selfSignedPair([HOST]);
    put(source, first);
    reload = mock.fn(async () => ['dovecot', 'postfix']);
    mock.method(console, 'log', () => undefined);
    mock.method(console, 'warn', () => undefined);
    mock.method(console, 'error', () => undefined);
    await installCertificates(settings);
  });
  afterEach(() => mock.restoreAll());

  it('installs a root-only copy at the start: the chain, the key, and the key with the chain for Postfix', () => {
    assert.equal(installed(settings), first.cert);
    assert.equal(readFileSync(settings.tls.keyPath, 'utf8'), first.key);
    assert.equal(readFileSync(settings.tls.chainPath, 'utf8'), `${first.key}${first.cert}`);
    for (const path of [settings.tls.certPath, settings.tls.keyPath, settings.tls.chainPath])
      assert.equal(statSync(path).mode & 0o777, 0o600, path);
    assert.equal(statSync(settings.tls.directory).mode & 0o777, 0o700);
    // What the certificates service compares its own checksum of the source files with.
    assert.equal(
      readFileSync(join(settings.tls.directory, 'source.sha256'), 'utf8').trim(),
      shellFingerprint([source.cert, source.key]),
    );
  });

  it('stops the start on a pair that does not fit, naming the variables', async () => {
    put(source, { key: selfSignedPair([HOST]).key });
    await assert.rejects(
      installCertificates(settings),
      (error: unknown) =>
        error instanceof ConfigError &&
        /^SSL_KEY_PATH: .* is not the key of the certificate in SSL_CERT_PATH/.test(error.problems[0] ?? ''),
    );
    assert.equal(installed(settings), first.cert);
  });

  it('installs a new pair and reloads the daemons; the same pair again reloads nothing', async () => {
    const second = selfSignedPair([HOST]);
    put(source, second);
    assert.equal(await syncCertificates(settings, reload), 'installed');
    assert.equal(installed(settings), second.cert);
    assert.equal(reload.mock.callCount(), 1);
    assert.equal(await syncCertificates(settings, reload), 'unchanged');
    assert.equal(reload.mock.callCount(), 1);
  });

  it('keeps the pair in use while the new key is not there yet, and takes both once it is', async () => {
    const second = selfSignedPair([HOST]);
    put(source, { cert: second.cert });
    assert.equal(await syncCertificates(settings, reload), 'refused');
    assert.equal(installed(settings), first.cert);
    assert.equal(reload.mock.callCount(), 0);
    put(source, { key: second.key });
    assert.equal(await syncCertificates(settings, reload), 'installed');
    assert.equal(installed(settings), second.cert);
  });

  it('tries the reload again at the next run when it failed', async () => {
    put(source, selfSignedPair([HOST]));
    const failing = mock.fn(async (): Promise<string[]> => {
      throw new Error('doveadm: Dovecot is not running');
    });
    await assert.rejects(syncCertificates(settings, failing), /Dovecot is not running/);
    assert.equal(await syncCertificates(settings, reload), 'installed');
    assert.equal(reload.mock.callCount(), 1);
  });

  it('reports for `idmail config check` what the start would refuse, and an expired certificate as a warning', async () => {
    put(source, selfSignedPair([HOST], { expired: true }));
    const report = await certificateReport(settings);
    assert.deepEqual(report.problems, []);
    assert.match(report.warnings.join('\n'), /the certificate expired 2020-01-02/);
    put(source, { cert: 'not a certificate' });
    assert.match(
      (await certificateReport(settings)).problems.join('\n'),
      /^SSL_CERT_PATH: .* is not a PEM certificate/,
    );
  });
});
