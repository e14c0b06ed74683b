import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate (PEM chain, leaf first) and its key (PEM), made with the openssl command for a test. */
export interface TestPair {
  cert: string;
  key: string;
  /** The leaf's SHA-256 fingerprint as node:tls reports a peer's (`AA:BB:…`). */
  fingerprint256: string;
}

const openssl = (directory: string, args: string[]) =>
  execFileSync('openssl', args, { cwd: directory, stdio: ['ignore', 'ignore', 'pipe'] });

function inScratch<T>(make: (directory: string) => T): T {
  const directory = mkdtempSync(join(tmpdir(), 'idmail-cert-'));
  try {
    return make(directory);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

const newKey = (directory: string, file: string) =>
  openssl(directory, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', file]);

const pairOf = (cert: string, key: string): TestPair => ({
  cert,
  key,
  fingerprint256: new X509Certificate(cert).fingerprint256,
});

const altNames = (names: readonly string[]) => `subjectAltName=${names.map((name) => `DNS:${name}`).join(',')}`;

/** Self-signed, valid for a year (or expired in 2020), for these DNS names (the first also its CN). */
export function selfSignedPair(names: readonly string[], options: { expired?: boolean } = {}): TestPair {
  return inScratch((directory) => {
    newKey(directory, 'key.pem');
    if (options.expired) return expiredSelfSigned(directory, names);
    openssl(directory, [
      'req',
      '-x509',
      '-key',
      'key.pem',
      '-days',
      '365',
      '-subj',
      `/CN=${names[0]}`,
      '-addext',
      altNames(names),
      '-out',
      'cert.pem',
    ]);
    return pairOf(readFileSync(join(directory, 'cert.pem'), 'utf8'), readFileSync(join(directory, 'key.pem'), 'utf8'));
  });
}

/** `openssl req -x509` takes no start date in OpenSSL 3.0; `openssl ca -selfsign` does. */
function expiredSelfSigned(directory: string, names: readonly string[]): TestPair {
  writeFileSync(join(directory, 'index.txt'), '');
  writeFileSync(join(directory, 'serial'), '01\n');
  writeFileSync(
    join(directory, 'ca.cnf'),
    `[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n[x]\n${altNames(names)}\n`,
  );
  openssl(directory, ['req', '-new', '-key', 'key.pem', '-subj', `/CN=${names[0]}`, '-out', 'request.csr']);
  openssl(directory, [
    'ca',
    '-batch',
    '-notext',
    '-config',
    'ca.cnf',
    '-selfsign',
    '-keyfile',
    'key.pem',
    '-in',
    'request.csr',
    '-startdate',
    '20200101000000Z',
    '-enddate',
    '20200102000000Z',
    '-extensions',
    'x',
    '-out',
    'cert.pem',
  ]);
  return pairOf(readFileSync(join(directory, 'cert.pem'), 'utf8'), readFileSync(join(directory, 'key.pem'), 'utf8'));
}

/** Issued by a CA made for it: the chain is the leaf, then the CA's certificate. */
export function issuedPair(names: readonly string[]): TestPair & { caCert: string } {
  return inScratch((directory) => {
    newKey(directory, 'ca-key.pem');
    openssl(directory, [
      'req',
      '-x509',
      '-key',
      'ca-key.pem',
      '-days',
      '365',
      '-subj',
      '/CN=Test CA',
      '-out',
      'ca.pem',
    ]);
    newKey(directory, 'key.pem');
    openssl(directory, ['req', '-new', '-key', 'key.pem', '-subj', `/CN=${names[0]}`, '-out', 'request.csr']);
    writeFileSync(join(directory, 'ext.cnf'), `${altNames(names)}\n`);
    openssl(directory, [
      'x509',
      '-req',
      '-in',
      'request.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-CAcreateserial',
      '-days',
      '365',
      '-extfile',
      'ext.cnf',
      '-out',
      'cert.pem',
    ]);
    const caCert = readFileSync(join(directory, 'ca.pem'), 'utf8');
    const leaf = readFileSync(join(directory, 'cert.pem'), 'utf8');
    return { ...pairOf(`${leaf}${caCert}`, readFileSync(join(directory, 'key.pem'), 'utf8')), caCert };
  });
}
