import type { DatabaseSync } from 'node:sqlite';
import type { ProvisioningTemplate } from '../../../config/provisioning-templates.ts';
import { inTransaction, type Synchronous } from '../../../state/transaction.ts';
import { addressOrUndefined, asciiLower } from '../../../vocabulary/address.ts';
import type { Logger } from '../../../vocabulary/logger.ts';
import { SIGN_IN_METHODS, SIGN_IN_PROTOCOLS, type SignInPolicy } from '../../../vocabulary/sign-in.ts';
import type { Directory } from '../../directory.ts';
import type { SignInPolicies } from '../../policy/sign-in-policy.ts';
import type { ProvisionedAccounts } from '../provisioned-accounts.ts';
import { patched } from './scim-patch.ts';
import { type ListQuery, matching } from './scim-query.ts';
import {
  clientResource,
  emailsOf,
  invalidValue,
  type Json,
  mailboxExtensionOf,
  memberIdsOf,
  requiredString,
  ScimError,
  type ScimResourceType,
} from './scim-resources.ts';
import type { ScimRecord, ScimStore } from './scim-store.ts';

export interface ScimProvisionerParts {
  /** The database the store, accounts and policies write to: each SCIM request changes it in one transaction. */
  state: DatabaseSync;
  store: ScimStore;
  accounts: ProvisionedAccounts;
  /** The whole directory (accounts file and provisioned accounts): served domains and taken addresses. */
  directory: Directory;
  /** Where accounts the IdP did not make live (the accounts file): SCIM never takes one of its addresses. */
  fixed: Directory;
  policies: SignInPolicies;
  templates: ReadonlyMap<string, ProvisioningTemplate>;
  /** MAIL_DOMAINS: the first names the address of a Group whose displayName is not one. */
  domains: readonly string[];
  purgeAfterSeconds: number;
  log: Logger;
}

/** How a resource type maps onto mail: its name and address, and what writing or deleting it changes. */
interface Mapping {
  name: string;
  address: string;
  apply(record: ScimRecord): void;
}

const notFound = (type: ScimResourceType, id: string) => new ScimError(404, undefined, `${type} ${id} not found`);
const taken = (detail: string) => new ScimError(409, 'uniqueness', detail);

/**
 * SCIM 2.0 provisioning (RFC 7643/7644): an IdP creates, updates, deactivates and deletes mailboxes
 * (Users) and distribution lists (Groups). A User is a provisioned account of source "scim"; its
 * `active` flag decides sign-in and delivery; deleting it keeps the mail for the grace period.
 * A Group is a list address delivering to its members, who may also send as it.
 */
export class ScimProvisioner {
  private readonly parts: ScimProvisionerParts;

  constructor(parts: ScimProvisionerParts) {
    this.parts = parts;
  }

  get(type: ScimResourceType, id: string): ScimRecord {
    const record = this.parts.store.get(type, id);
    if (record === undefined) throw notFound(type, id);
    return record;
  }

  list(
    type: ScimResourceType,
    query: ListQuery,
    toJson: (record: ScimRecord) => Json,
  ): { total: number; page: Json[] } {
    return matching(
      query,
      type === 'User' ? 'userName' : 'displayName',
      (name) => (name === undefined ? this.parts.store.all(type) : [this.parts.store.byName(type, name)]),
      toJson,
    );
  }

  async create(type: ScimResourceType, body: unknown): Promise<ScimRecord> {
    const resource = clientResource(body, type);
    const mapping = await this.mapping(type, resource, undefined);
    return this.write(() => {
      if (this.parts.store.byName(type, mapping.name) !== undefined)
        throw taken(`a ${type} named "${mapping.name}" exists`);
      const record = this.parts.store.insert(type, { name: mapping.name, address: mapping.address, resource });
      mapping.apply(record);
      return record;
    });
  }

  async replace(type: ScimResourceType, id: string, body: unknown): Promise<ScimRecord> {
    return this.update(type, this.get(type, id), clientResource(body, type));
  }

  async patch(type: ScimResourceType, id: string, body: unknown): Promise<ScimRecord> {
    const record = this.get(type, id);
    return this.update(type, record, patched(record.resource, body, type));
  }

  delete(type: ScimResourceType, id: string): void {
    const record = this.get(type, id);
    this.write(() => {
      if (type === 'User') this.leaveGroups(id);
      this.parts.store.delete(type, id);
      if (type === 'User') this.deprovision(record.address);
      else
        this.parts.log.info(
          { event: 'list-deleted', address: record.address, source: 'scim' },
          'distribution list deleted',
        );
    });
  }

  /** A deleted user is no member anywhere, in the groups' resources as in their lists (RFC 7644 §3.6). */
  private leaveGroups(userId: string): void {
    for (const group of this.parts.store.groupsOf(userId)) {
      const members = (group.resource.members as Json[]).filter((member) => member.value !== userId);
      this.parts.store.update('Group', group.id, { name: group.name, resource: { ...group.resource, members } });
    }
  }

  private async update(type: ScimResourceType, record: ScimRecord, resource: Json): Promise<ScimRecord> {
    const mapping = await this.mapping(type, resource, record);
    return this.write(() => {
      const other = this.parts.store.byName(type, mapping.name);
      if (other !== undefined && other.id !== record.id) throw taken(`a ${type} named "${mapping.name}" exists`);
      const updated = this.parts.store.update(type, record.id, { name: mapping.name, resource });
      mapping.apply(updated);
      return updated;
    });
  }

  private mapping(type: ScimResourceType, resource: Json, existing: ScimRecord | undefined): Promise<Mapping> {
    return type === 'User' ? this.userMapping(resource, existing) : this.groupMapping(resource, existing);
  }

  private async userMapping(resource: Json, existing: ScimRecord | undefined): Promise<Mapping> {
    const name = requiredString(resource, 'userName');
    const address = mailboxAddressOf(name, resource);
    if (existing !== undefined && existing.address !== address) {
      throw new ScimError(
        400,
        'mutability',
        `the mailbox address ${existing.address} cannot change to ${address}; create a new user (and an alias for the old address)`,
      );
    }
    if (existing === undefined) await this.assertFreeForUser(address);
    else await this.assertNotFixed(address);
    const template = this.templateOf(resource);
    const policy = this.policyOf(resource, template);
    const active = resource.active !== false;
    return {
      name,
      address,
      apply: () => {
        const change = this.parts.accounts.put(address, {
          source: 'scim',
          template: template.name,
          quota: template.quota,
          active,
        });
        this.parts.policies.clear(address);
        this.parts.policies.set(address, policy);
        this.parts.log.info(
          { event: 'provisioned', address, template: template.name, source: 'scim', change, active },
          `account ${change} by SCIM`,
        );
      },
    };
  }

  private async groupMapping(resource: Json, existing: ScimRecord | undefined): Promise<Mapping> {
    const name = requiredString(resource, 'displayName');
    const address = existing?.address ?? this.listAddressOf(name);
    if (existing === undefined) await this.assertFree(address);
    const memberIds = memberIdsOf(resource);
    const unknown = memberIds.filter((id) => this.parts.store.get('User', id) === undefined);
    if (unknown.length > 0) throw invalidValue(`members are not Users here: ${unknown.join(', ')}`);
    return {
      name,
      address,
      apply: (record) => {
        this.parts.store.setMembers(record.id, memberIds);
        this.parts.log.info(
          { event: 'list-provisioned', address, members: memberIds.length, source: 'scim' },
          'distribution list written by SCIM',
        );
      },
    };
  }

  /** A User may take over an account made just in time, but not an address of the accounts file or a list. */
  private async assertFreeForUser(address: string): Promise<void> {
    await this.assertNotFixed(address);
    const own = this.parts.accounts.get(address);
    if (own !== undefined && this.parts.store.byAddress('User', address) === undefined) return;
    await this.assertFree(address);
  }

  /** Whatever rows the state database holds, an address of the accounts file is never SCIM's to write. */
  private async assertNotFixed(address: string): Promise<void> {
    const { fixed } = this.parts;
    if ((await fixed.accountByAddress(address)) !== undefined || (await fixed.aliasTargets(address)) !== undefined) {
      throw taken(`${address} belongs to an account or alias of the accounts file`);
    }
  }

  private async assertFree(address: string): Promise<void> {
    const { directory, store } = this.parts;
    if (!(await directory.servesDomain(address.slice(address.lastIndexOf('@') + 1)))) {
      throw invalidValue(`${address} is not in a domain this server receives mail for (MAIL_DOMAINS)`);
    }
    const inUse =
      (await directory.accountByAddress(address)) !== undefined ||
      (await directory.aliasTargets(address)) !== undefined ||
      store.byAddress('User', address) !== undefined ||
      store.byAddress('Group', address) !== undefined;
    if (inUse) throw taken(`${address} is taken by another account, alias or list`);
  }

  /** A Group's displayName when it is an address, else a name made from it in the first of MAIL_DOMAINS. */
  private listAddressOf(displayName: string): string {
    const asAddress = addressOrUndefined(displayName);
    if (asAddress !== undefined) return asAddress;
    const local = displayName
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '');
    const domain = this.parts.domains[0];
    const address = domain === undefined || local === '' ? undefined : addressOrUndefined(`${local}@${domain}`);
    if (address === undefined)
      throw invalidValue(`"${displayName}" gives no list address; name the Group by its address, or set MAIL_DOMAINS`);
    return address;
  }

  private templateOf(resource: Json): ProvisioningTemplate {
    const name = mailboxExtensionOf(resource).template ?? 'default';
    const template = typeof name === 'string' ? this.parts.templates.get(asciiLower(name)) : undefined;
    if (template === undefined)
      throw invalidValue(
        `template ${JSON.stringify(name)} is not one of PROVISIONING_TEMPLATES: ${[...this.parts.templates.keys()].join(', ')}`,
      );
    return template;
  }

  /** The template's protocols unless the extension names others; methods only when it names them. */
  private policyOf(resource: Json, template: ProvisioningTemplate): Partial<SignInPolicy> {
    const extension = mailboxExtensionOf(resource);
    const methods = choices(extension.signInMethods, SIGN_IN_METHODS, 'signInMethods');
    const protocols = choices(extension.signInProtocols, SIGN_IN_PROTOCOLS, 'signInProtocols') ?? template.protocols;
    return { protocols, ...(methods && { methods }) };
  }

  private deprovision(address: string): void {
    this.parts.accounts.markDeleted(address);
    const purgeAt = new Date(Date.now() + this.parts.purgeAfterSeconds * 1000).toISOString();
    this.parts.log.info(
      { event: 'deprovisioned', address, source: 'scim', purgeAt },
      'account deleted by SCIM; its mail is kept until the purge',
    );
  }

  private write<T>(work: () => Synchronous<T>): T {
    try {
      return inTransaction(this.parts.state, work);
    } catch (error) {
      // Two concurrent creates of one name: the database's unique index decides.
      if ((error as { code?: string }).code === 'ERR_SQLITE_ERROR' && /UNIQUE/.test((error as Error).message))
        throw taken('the name or address is taken');
      throw error;
    }
  }
}

/** A User's mailbox: its userName when that is an address (Okta, Entra ID), else its primary email (Authentik). */
function mailboxAddressOf(userName: string, resource: Json): string {
  const address = [userName, ...emailsOf(resource)]
    .map(addressOrUndefined)
    .find((candidate) => candidate !== undefined);
  if (address === undefined)
    throw invalidValue(`user "${userName}" has no mailbox address: neither userName nor emails is a mail address`);
  return address;
}

function choices<T extends string>(value: unknown, allowed: readonly T[], name: string): T[] | undefined {
  if (value === undefined) return undefined;
  const valid =
    Array.isArray(value) && value.length > 0 && value.every((item) => (allowed as readonly unknown[]).includes(item));
  if (!valid) throw invalidValue(`"${name}" must be a non-empty list of ${allowed.join(', ')}`);
  return [...new Set(value as T[])];
}
