import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { replaceFile } from './certificate-files.ts';

/**
 * The ACME account's key on the state volume (0600, the helper's): the CA knows the account by it, so
 * every renewal (and a restarted container) speaks as the same account. Made at the first need.
 */
export async function loadOrCreateAccountKey(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await replaceFile(path, pem, 0o600);
  return pem;
}
