import { accountsSource } from '../auth/accounts/accounts-source.ts';
import type { Settings } from '../config/settings.ts';
import { systemAccount } from '../system-accounts.ts';
import { domainOf } from '../vocabulary/address.ts';
import { type DkimKeyStore, ensureDkimKeys } from './dkim-keys.ts';

/**
 * The domains whose mail is signed: MAIL_DOMAINS, and with the accounts file (or docker-mailserver's
 * config folder) those of its accounts
 * and aliases (a directory's domains are many queries away at start: list them in MAIL_DOMAINS).
 */
export async function signingDomains(settings: Settings): Promise<string[]> {
  const domains = new Set(settings.domains);
  if (settings.ldap === undefined) {
    const data = await (await accountsSource(settings)).read();
    for (const address of [...data.accounts.keys(), ...data.aliases.keys()]) domains.add(domainOf(address));
  }
  return [...domains].sort();
}

/** The key store as root uses it: keys readable by rspamd's group, nobody else. */
export async function dkimKeyStore(settings: Settings): Promise<DkimKeyStore> {
  const { dkimKeys, mountedDkimKeys, dmsConfigFolder } = settings.paths;
  const readerGid = process.getuid?.() === 0 ? (await systemAccount('_rspamd')).gid : undefined;
  return {
    dir: dkimKeys,
    mountedDir: mountedDkimKeys,
    dmsFolder: dmsConfigFolder,
    ...(readerGid !== undefined && { readerGid }),
  };
}

/** Every signing domain's key made or brought into the store, and rspamd's maps written: what was done, for the log. */
export async function ensureSigningKeys(settings: Settings): Promise<string[]> {
  if (settings.filter === undefined) return [];
  return ensureDkimKeys(await dkimKeyStore(settings), settings.filter.dkim, await signingDomains(settings));
}
