import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

// A certificate chain and key fit in far less; a larger "file" is no certificate.
const MAX_BYTES = 1024 * 1024;

/**
 * Reads, as root, a file the helper's user may have written (ACME's certificate and key): never
 * through a symbolic link (which could name root's DKIM key), never a FIFO or device (which would
 * hang the start), nothing larger than a certificate. A refusal is an ENOENT-like error code.
 */
export async function readUntrustedFile(path: string): Promise<Buffer> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw Object.assign(new Error(`${path} is no regular file`), { code: 'ENOTREGULAR' });
    if (info.size > MAX_BYTES) throw Object.assign(new Error(`${path} is too large`), { code: 'EFBIG' });
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
