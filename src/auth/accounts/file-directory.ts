import { asciiLower } from '../../vocabulary/address.ts';
import type { Logger } from '../../vocabulary/logger.ts';
import type { Account, Directory, PasswordCheck } from '../directory.ts';
import { hasMailbox } from '../directory.ts';
import { verifyPassword } from '../passwords/password-hash.ts';
import type { AccountsData, FileAccount } from './accounts-file.ts';
import type { AccountsFileStore } from './accounts-file-store.ts';
import type { HashUpgradeQueue } from './hash-upgrade-queue.ts';

// Verifying against this costs what a real check costs, so unknown users answer as slowly as wrong passwords.
const DECOY_HASH =
  '{ARGON2ID}$argon2id$v=19$m=19456,t=2,p=1$SqiU9F7bp0IiOO3VN+AJ0w$//Jeq6eDS5WmlxjzKvrnB+UD8O3B+WfeytENhMTiP4U';

/** Domains that have an account or alias, derived once per version of the accounts file. */
const domainsOfData = new WeakMap<AccountsData, ReadonlySet<string>>();

function domainsOf(data: AccountsData): ReadonlySet<string> {
  let domains = domainsOfData.get(data);
  if (domains === undefined) {
    const addresses = [...data.accounts.keys(), ...data.aliases.keys()];
    domains = new Set(addresses.map((address) => address.slice(address.lastIndexOf('@') + 1)));
    domainsOfData.set(data, domains);
  }
  return domains;
}

const publicAccount = ({ address, disabled, quota }: FileAccount): Account => ({
  address,
  disabled,
  ...(quota === undefined ? {} : { quota }),
});

/**
 * The directory kept in the accounts file (the account source with ACCOUNT_PROVISIONER=FILE):
 * sign-in names are addresses.
 */
export class FileDirectory implements Directory {
  private readonly store: AccountsFileStore;
  private readonly configuredDomains: ReadonlySet<string>;

  private readonly upgrades: HashUpgradeQueue | undefined;
  private readonly log: Logger | undefined;

  constructor(
    store: AccountsFileStore,
    domains: readonly string[],
    upgrades?: { queue: HashUpgradeQueue; log: Logger },
  ) {
    this.store = store;
    this.configuredDomains = new Set(domains);
    this.upgrades = upgrades?.queue;
    this.log = upgrades?.log;
  }

  async accountByAddress(address: string): Promise<Account | undefined> {
    const account = await this.store.account(address);
    return account && publicAccount(account);
  }

  accountBySignInName(name: string): Promise<Account | undefined> {
    return this.accountByAddress(name);
  }

  accountByTokenName(name: string): Promise<Account | undefined> {
    return this.accountByAddress(name);
  }

  async checkPassword(name: string, password: string): Promise<PasswordCheck> {
    const account = await this.store.account(name);
    if (account?.passwordHash === undefined) {
      await verifyPassword(DECOY_HASH, password);
      return account === undefined
        ? { outcome: 'unknown_user' }
        : { outcome: 'no_password', account: publicAccount(account) };
    }
    const matches = await verifyPassword(account.passwordHash, password);
    // PASSWORD_HASH_UPGRADE: queued beside the answer, which never waits for it nor fails with it.
    if (matches && this.upgrades !== undefined)
      this.upgrades
        .offer(account.address, account.passwordHash, password)
        .catch((error: unknown) => this.log?.error({ err: error }, 'password hash upgrade not queued'));
    return { outcome: matches ? 'match' : 'mismatch', account: publicAccount(account) };
  }

  /** MAIL_DOMAINS plus every domain that has an account or alias. */
  async servesDomain(domain: string): Promise<boolean> {
    const name = asciiLower(domain);
    return this.configuredDomains.has(name) || domainsOf(await this.store.current()).has(name);
  }

  async aliasTargets(address: string): Promise<string[] | undefined> {
    return (await this.store.current()).aliases.get(asciiLower(address));
  }

  async sendersFor(address: string): Promise<string[]> {
    const name = asciiLower(address);
    const owners = new Set<string>();
    if (await hasMailbox(this, name)) owners.add(name);
    for (const target of (await this.aliasTargets(name)) ?? []) {
      if (await hasMailbox(this, target)) owners.add(target);
    }
    return [...owners];
  }
}
