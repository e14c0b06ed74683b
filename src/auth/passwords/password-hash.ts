import { argon2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { verifyCryptHash } from './crypt-hashes.ts';

const argon2Async = promisify(argon2);

/**
 * Argon2id in the PHC string form libsodium (and so Dovecot's {ARGON2ID} scheme) reads:
 * parameters in m,t,p order, unpadded base64. OWASP's minimum: 19 MiB, 2 passes, 1 lane.
 */
const SCHEME = '{ARGON2ID}';
const DEFAULTS = { memory: 19456, passes: 2, parallelism: 1 };
const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

const unpadded = (buffer: Buffer) => buffer.toString('base64').replace(/=+$/, '');

export async function hashPassword(password: string): Promise<string> {
  const nonce = randomBytes(16);
  const tag = await argon2Async('argon2id', { message: password, nonce, tagLength: 32, ...DEFAULTS });
  const { memory, passes, parallelism } = DEFAULTS;
  return `${SCHEME}$argon2id$v=19$m=${memory},t=${passes},p=${parallelism}$${unpadded(nonce)}$${unpadded(tag)}`;
}

export function isSupportedHash(stored: string): boolean {
  return stored.startsWith(SCHEME) && PHC.test(stored.slice(SCHEME.length));
}

/** {ARGON2ID}, and docker-mailserver's crypt schemes (crypt-hashes.ts); any other stored value matches nothing. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  const match = stored.startsWith(SCHEME) ? PHC.exec(stored.slice(SCHEME.length)) : null;
  if (match === null) return (await verifyCryptHash(stored, password)) ?? false;
  const [, memory, passes, parallelism, salt, hash] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const expected = Buffer.from(hash, 'base64');
  const tag = await argon2Async('argon2id', {
    message: password,
    nonce: Buffer.from(salt, 'base64'),
    tagLength: expected.length,
    memory: Number(memory),
    passes: Number(passes),
    parallelism: Number(parallelism),
  });
  return timingSafeEqual(tag, expected);
}
