import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * An app password: `idmail_<id>_<secret>`, made by the server, shown once.
 * - the prefix lets secret scanners find a leaked one (regex `idmail_[0-9a-f]{16}_[0-9a-f]{40}`);
 * - the id finds its record, so a check costs one hash, not one per stored password;
 * - the secret is 160 random bits: no guessing can reach it, so one SHA-256 stores it safely
 *   (a slow password hash protects low-entropy human passwords, which this is not).
 */
const PATTERN = /^idmail_([0-9a-f]{16})_([0-9a-f]{40})$/;

export interface AppPasswordSecret {
  id: string;
  secret: string;
  /** What the user types into their mail client. */
  text: string;
}

export function newAppPasswordSecret(): AppPasswordSecret {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(20).toString('hex');
  return { id, secret, text: `idmail_${id}_${secret}` };
}

/** The id and secret of a password that has the shape of an app password, else undefined. */
export function parseAppPassword(password: string): { id: string; secret: string } | undefined {
  const match = PATTERN.exec(password);
  return match === null ? undefined : { id: match[1] as string, secret: match[2] as string };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function secretMatches(secret: string, storedHash: string): boolean {
  return timingSafeEqual(Buffer.from(hashSecret(secret), 'hex'), Buffer.from(storedHash, 'hex'));
}
