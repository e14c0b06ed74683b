import type { ProvisioningTemplate } from '../../config/provisioning-templates.ts';
import { addressOrUndefined, asciiLower, domainOf, localPartOf } from '../../vocabulary/address.ts';
import type { Logger } from '../../vocabulary/logger.ts';
import type { Account, Directory } from '../directory.ts';
import type { SignInPolicies } from '../policy/sign-in-policy.ts';
import type { ProvisionedAccounts } from './provisioned-accounts.ts';

/** Postfix's recipient_delimiter: alice+news@ is alice's mailbox, never one of its own. */
const RECIPIENT_DELIMITER = '+';
/** Mailbox names of RFC 2142 and the MTA's own: they reach the postmaster, not whoever signs in first. */
const ROLE_ADDRESSES = new Set([
  'postmaster',
  'abuse',
  'hostmaster',
  'webmaster',
  'security',
  'noc',
  'mailer-daemon',
  'root',
]);

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

  constructor(parts: {
    directory: Directory;
    accounts: ProvisionedAccounts;
    policies: SignInPolicies;
    templates: ReadonlyMap<string, ProvisioningTemplate>;
    log: Logger;
  }) {
    this.directory = parts.directory;
    this.accounts = parts.accounts;
    this.policies = parts.policies;
    this.templates = parts.templates;
    this.log = parts.log;
  }

  /** The new (or just now concurrently created) account, or undefined when the address may not have one here. */
  async provision(username: string, templateName: string | undefined): Promise<Account | undefined> {
    const address = addressOrUndefined(username);
    if (address === undefined) return undefined;
    const refusal = await this.refusal(address);
    if (refusal !== undefined) {
      this.log.warn(
        { event: 'provisioning-refused', address, source: 'jit' },
        `no account made from a first sign-in: ${refusal}`,
      );
      return undefined;
    }
    const template = this.templateFor(templateName);
    if (this.accounts.createOnce(address, { source: 'jit', template: template.name, quota: template.quota })) {
      this.policies.set(address, { protocols: template.protocols });
      this.log.info(
        { event: 'provisioned', address, template: template.name, source: 'jit' },
        'account created from a first sign-in',
      );
    }
    return this.directory.accountByAddress(address);
  }

  /** Why this address may not become a mailbox of its own, or undefined when it may. */
  private async refusal(address: string): Promise<string | undefined> {
    const local = localPartOf(address);
    if (!(await this.directory.servesDomain(domainOf(address)))) return 'not a served domain';
    if (local.includes(RECIPIENT_DELIMITER)) return `a sub-address (${RECIPIENT_DELIMITER}detail) of another mailbox`;
    if (ROLE_ADDRESSES.has(local)) return 'a role address (RFC 2142), which reaches the postmaster';
    if ((await this.directory.aliasTargets(address)) !== undefined) return 'an alias or distribution list';
    return undefined;
  }

  private templateFor(name: string | undefined): ProvisioningTemplate {
    const template = name === undefined ? undefined : this.templates.get(asciiLower(name));
    if (name !== undefined && template === undefined)
      this.log.warn({ template: name }, 'token names an unknown template; default used');
    return template ?? (this.templates.get('default') as ProvisioningTemplate);
  }
}
