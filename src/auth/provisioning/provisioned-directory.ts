import type { Account, Directory, PasswordCheck } from '../directory.ts';
import type { ProvisionedAccounts } from './provisioned-accounts.ts';

const publicAccount = ({ address, disabled, quota }: Account): Account => ({ address, disabled, quota });

/**
 * The accounts file, plus the accounts the IdP provisioned. An address in the file wins; a
 * provisioned account has no password of its own (tokens and app passwords sign it in).
 */
export class ProvisionedDirectory implements Directory {
  private readonly base: Directory;
  private readonly provisioned: ProvisionedAccounts;

  constructor(base: Directory, provisioned: ProvisionedAccounts) {
    this.base = base;
    this.provisioned = provisioned;
  }

  async accountByAddress(address: string): Promise<Account | undefined> {
    return (await this.base.accountByAddress(address)) ?? this.provisionedAccount(address);
  }

  async accountBySignInName(name: string): Promise<Account | undefined> {
    return (await this.base.accountBySignInName(name)) ?? this.provisionedAccount(name);
  }

  async checkPassword(name: string, password: string): Promise<PasswordCheck> {
    const check = await this.base.checkPassword(name, password);
    const account = check.outcome === 'unknown_user' ? this.provisionedAccount(name) : undefined;
    return account === undefined ? check : { outcome: 'no_password', account };
  }

  async servesDomain(domain: string): Promise<boolean> {
    return (await this.base.servesDomain(domain)) || this.provisioned.servesDomain(domain);
  }

  aliasTargets(address: string): Promise<string[] | undefined> {
    return this.base.aliasTargets(address);
  }

  async sendersFor(address: string): Promise<string[]> {
    const owners = await this.base.sendersFor(address);
    const own = this.provisionedAccount(address);
    return own !== undefined && !own.disabled && !owners.includes(own.address) ? [...owners, own.address] : owners;
  }

  private provisionedAccount(address: string): Account | undefined {
    const account = this.provisioned.get(address);
    return account && publicAccount(account);
  }
}
