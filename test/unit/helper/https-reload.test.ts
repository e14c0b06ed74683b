import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, type TLSSocket } from 'node:tls';
import pino from 'pino';
import { loadSettings, type Settings } from '../../../src/config/settings.ts';
import { type HttpsParts, type HttpsServer, startHttpsServer } from '../../../src/web/https-server.ts';
import { selfSignedPair, type TestPair } from '../../support/certificates.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const open = (port: number) =>
  new Promise<TLSSocket>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => resolve(socket));
    socket.once('error', reject);
  });

describe("the helper's HTTPS listener on a new certificate", () => {
  let directory: string;
  let server: HttpsServer;
  let port: number;
  let first: TestPair;
  const place = (pair: TestPair) => {
    writeFileSync(join(directory, 'cert.pem'), pair.cert);
    writeFileSync(join(directory, 'key.pem'), pair.key);
  };

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'idmail-https-'));
    first = selfSignedPair(['mail.example.org']);
    place(first);
    port = await freePort();
    const loaded = loadSettings({ OVERRIDE_HOSTNAME: 'mail.example.org' });
    // The paths are fixed inside the image; here the helper's copy is in a scratch directory.
    const paths = { ...loaded.paths, helperTls: directory } as unknown as Settings['paths'];
    const settings: Settings = { ...loaded, https: { port }, paths };
    server = await startHttpsServer(settings, { log: pino({ level: 'silent' }) } as unknown as HttpsParts);
  });
  after(() => server?.close());

  it('serves the new one to new connections after reloadCertificate, and keeps the open ones', async () => {
    const kept = await open(port);
    assert.equal(kept.getPeerCertificate().fingerprint256, first.fingerprint256);
    const second = selfSignedPair(['mail.example.org']);
    place(second);
    await server.reloadCertificate();
    const fresh = await open(port);
    assert.equal(fresh.getPeerCertificate().fingerprint256, second.fingerprint256);
    assert.equal(kept.destroyed, false);
    kept.destroy();
    fresh.destroy();
  });

  it('keeps the certificate it serves when the new files do not fit together', async () => {
    const earlier = await open(port);
    const before = earlier.getPeerCertificate().fingerprint256;
    earlier.destroy();
    place({ ...selfSignedPair(['mail.example.org']), key: selfSignedPair(['x']).key });
    await assert.rejects(server.reloadCertificate());
    const socket = await open(port);
    assert.equal(socket.getPeerCertificate().fingerprint256, before);
    socket.destroy();
  });
});
