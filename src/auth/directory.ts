import type { AccountStore } from './accounts/account-store.ts';
import type { AccountsData } from './accounts/accounts-file.ts';

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

/** Who exists and where mail for an address goes: what Postfix and Dovecot look up. */
export class Directory {
  private readonly store: AccountStore;
  private readonly configuredDomains: ReadonlySet<string>;

  constructor(store: AccountStore, domains: readonly string[]) {
    this.store = store;
    this.configuredDomains = new Set(domains);
  }

  /** Served domains: MAIL_DOMAINS plus every domain that has an account or alias. */
  async servesDomain(domain: string): Promise<boolean> {
    const name = domain.toLowerCase();
    return this.configuredDomains.has(name) || domainsOf(await this.store.current()).has(name);
  }

  async hasMailbox(address: string): Promise<boolean> {
    const account = await this.store.account(address);
    return account !== undefined && !account.disabled;
  }

  async aliasTargets(address: string): Promise<string[] | undefined> {
    return (await this.store.current()).aliases.get(address.toLowerCase());
  }

  /** The sign-in names allowed to send with this address as sender (Postfix's sender login map). */
  async sendersFor(address: string): Promise<string[]> {
    const name = address.toLowerCase();
    const owners = new Set<string>();
    if (await this.hasMailbox(name)) owners.add(name);
    for (const target of (await this.aliasTargets(name)) ?? []) {
      if (await this.hasMailbox(target)) owners.add(target);
    }
    return [...owners];
  }
}
