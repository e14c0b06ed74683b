import bcrypt from 'bcryptjs';
import { verify as verifyShaCrypt } from 'unixcrypt';

/**
 * The crypt(3) schemes docker-mailserver's postfix-accounts.cf holds: `setup email add` writes
 * SHA512-CRYPT (`doveadm pw -s SHA512-CRYPT`), and people add SHA256-CRYPT and BLF-CRYPT by hand.
 */
const SCHEMES = {
  'SHA512-CRYPT': /^\$6\$(rounds=\d+\$)?[^$]{1,16}\$[./0-9A-Za-z]{86}$/,
  'SHA256-CRYPT': /^\$5\$(rounds=\d+\$)?[^$]{1,16}\$[./0-9A-Za-z]{43}$/,
  'BLF-CRYPT': /^\$2[abxy]\$\d{2}\$[./0-9A-Za-z]{53}$/,
} as const;

type CryptScheme = keyof typeof SCHEMES;

/** `{SCHEME}hash` split, when the scheme is one of these and the hash has its form. */
function parsed(stored: string): { scheme: CryptScheme; hash: string } | undefined {
  const match = /^\{([A-Z0-9-]+)\}(.*)$/.exec(stored);
  const scheme = match?.[1] as CryptScheme | undefined;
  const hash = match?.[2];
  if (scheme === undefined || hash === undefined || !(scheme in SCHEMES) || !SCHEMES[scheme].test(hash))
    return undefined;
  return { scheme, hash };
}

export const isCryptHash = (stored: string): boolean => parsed(stored) !== undefined;

/** undefined: not one of these schemes (the caller's to check). */
export async function verifyCryptHash(stored: string, password: string): Promise<boolean | undefined> {
  const hash = parsed(stored);
  if (hash === undefined) return undefined;
  // bcrypt reads $2y$ (Dovecot's and PHP's name for it) as $2b$.
  if (hash.scheme === 'BLF-CRYPT') return bcrypt.compare(password, hash.hash.replace(/^\$2[xy]\$/, '$2b$'));
  return verifyShaCrypt(password, hash.hash);
}
