import type { AccountStore } from './accounts/account-store.ts';

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
    if (this.configuredDomains.has(name)) return true;
    const { accounts, aliases } = await this.store.current();
    return [...accounts.keys(), ...aliases.keys()].some((address) => address.endsWith(`@${name}`));
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
