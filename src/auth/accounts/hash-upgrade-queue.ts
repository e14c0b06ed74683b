import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { hashPassword, isSupportedHash } from '../passwords/password-hash.ts';

/**
 * PASSWORD_HASH_UPGRADE: an account of the accounts file signed in with a password whose hash is not
 * {ARGON2ID} (docker-mailserver's SHA512-CRYPT, BLF-CRYPT, …) gets an Argon2id hash of that password.
 * The helper may not write the accounts file, so it leaves the new hash here, in its own folder, and
 * root puts it in place (`idmail account apply-hash-upgrades`), only where the file still has the hash
 * the password matched: a password changed meanwhile wins.
 */
export interface HashUpgrade {
  address: string;
  /** The hash the password matched; the upgrade applies only while the file still has it. */
  oldHash: string;
  newHash: string;
}

const entryName = (address: string) => `${createHash('sha256').update(address).digest('hex')}.json`;

export class HashUpgradeQueue {
  readonly #folder: string;

  constructor(folder: string) {
    this.#folder = folder;
  }

  /** After a matching password: queues its Argon2id hash, once per old hash (sign-ins while it waits hash nothing). */
  async offer(address: string, oldHash: string, password: string): Promise<void> {
    if (isSupportedHash(oldHash)) return;
    const path = join(this.#folder, entryName(address));
    const queued = await readFile(path, 'utf8').catch(() => undefined);
    if (queued !== undefined && parseUpgrade(queued)?.oldHash === oldHash) return;
    await mkdir(this.#folder, { recursive: true, mode: 0o700 });
    const upgrade: HashUpgrade = { address, oldHash, newHash: await hashPassword(password) };
    const staged = `${path}.new`;
    const handle = await open(staged, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(upgrade));
    } finally {
      await handle.close();
    }
    await rename(staged, path);
  }
}

/** An entry as root reads it: a well-formed upgrade to an {ARGON2ID} hash, else undefined. */
function parseUpgrade(text: string): HashUpgrade | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object') return undefined;
    const { address, oldHash, newHash } = value as Record<string, unknown>;
    if (typeof address !== 'string' || typeof oldHash !== 'string' || typeof newHash !== 'string') return undefined;
    return isSupportedHash(newHash) ? { address, oldHash, newHash } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Root's side: every queued entry, each removed once taken (whatever became of it). The folder is the
 * helper's: a link there is not followed.
 */
export async function takeQueuedUpgrades(folder: string): Promise<Array<HashUpgrade | undefined>> {
  const names = (await readdir(folder).catch(() => [] as string[])).filter((name) => name.endsWith('.json'));
  const taken: Array<HashUpgrade | undefined> = [];
  for (const name of names) {
    const path = join(folder, name);
    taken.push(await readNoFollow(path).then(parseUpgrade, () => undefined));
    await rm(path, { force: true });
  }
  return taken;
}

async function readNoFollow(path: string): Promise<string> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
