import { createPrivateKey, createPublicKey } from 'node:crypto';

/** The `k=` of a DKIM record. */
export type DkimKeyType = 'rsa' | 'ed25519';

const FORMS = 'allowed: an RSA key in PEM, or an ed25519 key as `rspamadm dkim_keygen -t ed25519` writes it';

// A PKCS#8 ed25519 private key is this DER prefix and the 32-byte seed (RFC 8410).
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * The public half of a DKIM private key as rspamd signs with it, as DNS publishes it: an RSA key in
 * PEM (base64 DER, SubjectPublicKeyInfo), or rspamd's ed25519 form (base64 of libsodium's secret key:
 * the 32-byte seed, then the public key, which the record carries raw, RFC 8463).
 */
export function dkimPublicKey(text: string): { keyType: DkimKeyType; publicKey: string } {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) {
    const key = createPrivateKey(trimmed);
    if (key.asymmetricKeyType !== 'rsa') throw new Error(`is a ${key.asymmetricKeyType} key in PEM; ${FORMS}`);
    return {
      keyType: 'rsa',
      publicKey: createPublicKey(key).export({ type: 'spki', format: 'der' }).toString('base64'),
    };
  }
  const raw = /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0);
  if (raw.length !== 64) throw new Error(`is no DKIM private key; ${FORMS}`);
  const seed = raw.subarray(0, 32);
  const publicKey = ed25519PublicKeyOf(seed);
  // The half stored after the seed must be the seed's own, or the file is damaged.
  if (!publicKey.equals(raw.subarray(32)))
    throw new Error(`is a damaged ed25519 key (its two halves differ); ${FORMS}`);
  return { keyType: 'ed25519', publicKey: publicKey.toString('base64') };
}

function ed25519PublicKeyOf(seed: Buffer): Buffer {
  const key = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  return Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x ?? '', 'base64url');
}
