import { asciiLower } from '../../vocabulary/address.ts';
import type { Account, Directory, PasswordCheck } from '../directory.ts';
import type { ProvisionedAccounts } from './provisioned-accounts.ts';

const publicAccount = ({ address, disabled, quota }: Account): Account => ({ address, disabled, quota });

/** Distribution lists the IdP provisioned (SCIM Groups): the addresses of a list's members. */
export interface ProvisionedLists {
  memberAddresses(address: string): string[] | undefined;
}

/**
 * The accounts file, plus the accounts and lists the IdP provisioned. An address in the file wins; a
 * provisioned account has no password of its own (tokens and app passwords sign it in).
 */
export class ProvisionedDirectory implements Directory {
  private readonly base: Directory;
  private readonly provisioned: ProvisionedAccounts;
  private readonly lists: ProvisionedLists | undefined;

  constructor(base: Directory, provisioned: ProvisionedAccounts, lists?: ProvisionedLists) {
    this.base = base;
    this.provisioned = provisioned;
    this.lists = lists;
  }

  async accountByAddress(address: string): Promise<Account | undefined> {
    return (await this.base.accountByAddress(address)) ?? this.provisionedAccount(address);
  }

  async accountBySignInName(name: string): Promise<Account | undefined> {
    return (await this.base.accountBySignInName(name)) ?? this.provisionedAccount(name);
  }

  async accountByTokenName(name: string): Promise<Account | undefined> {
    return (await this.base.accountByTokenName(name)) ?? this.provisionedAccount(name);
  }

  async checkPassword(name: string, password: string): Promise<PasswordCheck> {
    const check = await this.base.checkPassword(name, password);
    const account = check.outcome === 'unknown_user' ? this.provisionedAccount(name) : undefined;
    return account === undefined ? check : { outcome: 'no_password', account };
  }

  async servesDomain(domain: string): Promise<boolean> {
    return (await this.base.servesDomain(domain)) || this.provisioned.servesDomain(domain);
  }

  /** A list delivers to its members who may sign in; one with none is no address at all. */
  async aliasTargets(address: string): Promise<string[] | undefined> {
    return (await this.base.aliasTargets(address)) ?? this.listMembers(address);
  }

  /** The file's owners, the provisioned account itself, and a provisioned list's members. */
  async sendersFor(address: string): Promise<string[]> {
    const owners = new Set(await this.base.sendersFor(address));
    const own = this.provisionedAccount(address);
    if (own !== undefined && !own.disabled) owners.add(own.address);
    if ((await this.base.aliasTargets(address)) === undefined) {
      for (const member of this.listMembers(address) ?? []) owners.add(member);
    }
    return [...owners];
  }

  /** The members of a provisioned list who may sign in; none (or no list) is no address at all. */
  private listMembers(address: string): string[] | undefined {
    const members = this.lists
      ?.memberAddresses(asciiLower(address))
      ?.filter((member) => this.provisioned.get(member)?.disabled === false);
    return members?.length ? members : undefined;
  }

  private provisionedAccount(address: string): Account | undefined {
    const account = this.provisioned.get(address);
    return account && publicAccount(account);
  }
}
