import type { FastifyBaseLogger as Logger } from 'fastify';
import { parseAddress } from '../../config/validators.ts';
import type { Account, Directory } from '../directory.ts';
import type { SignInPolicies } from '../policy/sign-in-policy.ts';
import type { ProvisionedAccounts } from './provisioned-accounts.ts';
import type { ProvisioningTemplate } from './provisioning-templates.ts';

/**
 * OAUTH2_PROVISIONING=jit: the first valid token for an unknown address in a served domain creates
 * its account, with the quota and protocols of the template its claim names (or `default`).
 */
export class JitProvisioner {
  private readonly directory: Directory;
  private readonly accounts: ProvisionedAccounts;
  private readonly policies: SignInPolicies;
  private readonly templates: ReadonlyMap<string, ProvisioningTemplate>;
  private readonly log: Logger;

  constructor(parts: { directory: Directory; accounts: ProvisionedAccounts; policies: SignInPolicies; templates: ReadonlyMap<string, ProvisioningTemplate>; log: Logger }) {
    this.directory = parts.directory;
    this.accounts = parts.accounts;
    this.policies = parts.policies;
    this.templates = parts.templates;
    this.log = parts.log;
  }

  /** The new (or just now concurrently created) account, or undefined when the address may not have one here. */
  async provision(username: string, templateName: string | undefined): Promise<Account | undefined> {
    let address: string;
    try {
      address = parseAddress(username);
    } catch {
      return undefined;
    }
    if (!(await this.directory.servesDomain(address.slice(address.lastIndexOf('@') + 1)))) return undefined;
    const template = this.templateFor(templateName);
    if (this.accounts.createOnce(address, { source: 'jit', template: template.name, quota: template.quota })) {
      this.policies.set(address, { protocols: template.protocols });
      this.log.info({ event: 'provisioned', address, template: template.name, source: 'jit' }, 'account created from a first sign-in');
    }
    return this.directory.accountByAddress(address);
  }

  private templateFor(name: string | undefined): ProvisioningTemplate {
    const template = name === undefined ? undefined : this.templates.get(name.toLowerCase());
    if (name !== undefined && template === undefined) this.log.warn({ template: name }, 'token names an unknown template; default used');
    return template ?? (this.templates.get('default') as ProvisioningTemplate);
  }
}
