import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Certificates as an ACME CA and prepare's placeholder make them (openssl, EC P-256), for the renewal tests. */
export interface TestPair {
  chain: string;
  key: string;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

const subjectAltName = (names: readonly string[]) => names.map((name) => `DNS:${name}`).join(',');

/** A CA like an ACME CA's intermediate; what it signs is not self-issued. */
export function testCa(): { issue(names: readonly string[], days?: number): TestPair } {
  const dir = mkdtempSync(join(tmpdir(), 'idmail-acme-ca-'));
  openssl(dir, 'req', '-x509', ...EC, '-days', '2', '-subj', '/CN=Test ACME CA', '-keyout', 'ca.key', '-out', 'ca.pem');
  let serial = 0;
  return {
    issue(names, days = 90) {
      serial += 1;
      const name = `leaf${serial}`;
      openssl(dir, 'req', ...EC, '-subj', `/CN=${names[0]}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
      writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${subjectAltName(names)}\n`);
      const sign = ['-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'];
      openssl(dir, 'x509', ...sign, '-days', String(days), '-extfile', `${name}.ext`, '-out', `${name}.pem`);
      const read = (file: string) => readFileSync(join(dir, file), 'utf8');
      return { chain: read(`${name}.pem`) + read('ca.pem'), key: read(`${name}.key`) };
    },
  };
}

/** A self-signed certificate, as prepare's placeholder is. */
export function selfSignedPair(names: readonly string[]): TestPair {
  const dir = mkdtempSync(join(tmpdir(), 'idmail-placeholder-'));
  openssl(
    dir,
    'req',
    '-x509',
    ...EC,
    '-days',
    '3650',
    '-subj',
    `/CN=${names[0]}`,
    '-addext',
    `subjectAltName=${subjectAltName(names)}`,
    '-keyout',
    'key.pem',
    '-out',
    'cert.pem',
  );
  return { chain: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
}
