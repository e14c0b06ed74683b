import type { Entry } from 'ldapts';
import type { LRUCache } from 'lru-cache';
import type { LdapSettings } from '../../config/ldap-settings.ts';
import { asciiLower } from '../../vocabulary/address.ts';
import { fillFilter } from '../../vocabulary/ldap-filter.ts';
import type { Logger } from '../../vocabulary/logger.ts';
import { boundedCache } from '../bounded-cache.ts';
import { type Account, type Directory, DirectoryUnavailable, type PasswordCheck } from '../directory.ts';
import type { LdapConnections } from './ldap-connections.ts';

const TRUE_VALUES = new Set(['true', '1', 'yes', 'on']);
// A new directory entry should not wait long for its first mail: "not found" is kept briefly.
const MAX_NEGATIVE_SECONDS = 10;
// How deep distribution lists may nest before expansion stops (loops end here too).
const MAX_GROUP_DEPTH = 3;

/** What the directory needs from the connection pool. */
export type DirectoryConnections = Pick<LdapConnections, 'search' | 'passwordMatches'>;

interface Found {
  dn: string;
  account: Account;
}

/**
 * The directory in LDAP (the account source with ACCOUNT_PROVISIONER=LDAP): every lookup is a filter
 * from the settings, answered through pooled connections. Lookups, the entry a login names among them, are cached for
 * LDAP_CACHE_TTL; passwords never are: each check binds as the entry, and a failed bind searches
 * the entry afresh in case it moved.
 */
export class LdapDirectory implements Directory {
  private readonly settings: LdapSettings;
  private readonly connections: DirectoryConnections;
  private readonly configuredDomains: ReadonlySet<string>;
  private readonly log: Logger;
  private readonly cache: LRUCache<string, { value: unknown }>;
  private readonly confirmedDomains = new Set<string>();

  constructor(settings: LdapSettings, connections: DirectoryConnections, domains: readonly string[], log: Logger) {
    this.settings = settings;
    this.connections = connections;
    this.configuredDomains = new Set(domains);
    this.log = log;
    // Every entry gets its own ttl in remember(); this default only satisfies the cache's construction.
    this.cache = boundedCache(50_000, { ttl: MAX_NEGATIVE_SECONDS * 1000 });
  }

  accountByAddress(address: string): Promise<Account | undefined> {
    const key = asciiLower(address);
    return this.cached(`user:${key}`, async () => (await this.findOne(this.settings.filters.user, key))?.account);
  }

  async accountBySignInName(name: string): Promise<Account | undefined> {
    return (await this.entryOfLogin(name))?.account;
  }

  /** An address by the user filter, else a uid by the login filter; either way the entry must carry the name exactly. */
  async accountByTokenName(name: string): Promise<Account | undefined> {
    const key = asciiLower(name);
    if (key.includes('@')) {
      const account = await this.accountByAddress(key);
      return account?.address === key ? account : undefined;
    }
    const { uid } = this.settings.attributes;
    if (uid === undefined) return undefined;
    const found = await this.cached(`token:${key}`, async () => {
      const entries = await this.search(this.settings.filters.login, key, [...this.accountAttributes(), uid], 2);
      const exact = entries.filter(
        (entry) => values(entry, uid).some((value) => asciiLower(value) === key) && this.mailOf(entry) !== undefined,
      );
      return exact.length === 1 ? this.accountOf(exact[0] as Entry) : undefined;
    });
    return found;
  }

  /** One bind per check when the entry is known (Dovecot's own LDAP passdb searches and binds every time). */
  async checkPassword(name: string, password: string): Promise<PasswordCheck> {
    const key = asciiLower(name);
    const fromCache = this.cache.has(`login:${key}`);
    const known = await this.entryOfLogin(name);
    if (known === undefined) return { outcome: 'unknown_user' };
    if (await this.connections.passwordMatches(known.dn, password)) return { outcome: 'match', account: known.account };
    // An entry searched just now is current; only a remembered one may have moved since.
    if (!fromCache) return { outcome: 'mismatch', account: known.account };
    const found = await this.findOne(this.settings.filters.login, key);
    this.remember(`login:${key}`, found);
    if (found === undefined) return { outcome: 'unknown_user' };
    if (found.dn === known.dn) return { outcome: 'mismatch', account: found.account };
    const matches = await this.connections.passwordMatches(found.dn, password);
    return { outcome: matches ? 'match' : 'mismatch', account: found.account };
  }

  private entryOfLogin(name: string): Promise<Found | undefined> {
    const key = asciiLower(name);
    return this.cached(`login:${key}`, () => this.findOne(this.settings.filters.login, key));
  }

  async servesDomain(domain: string): Promise<boolean> {
    const key = asciiLower(domain);
    if (this.configuredDomains.has(key)) return true;
    try {
      const served = await this.cached(
        `domain:${key}`,
        async () => (await this.search(this.settings.filters.domain, key, ['1.1'], 1)).length > 0,
      );
      if (served) this.confirmedDomains.add(key);
      return served;
    } catch (error) {
      // Postfix's smtpd caches a failed domain lookup for the life of the process, so an outage would
      // outlast the directory's return. A domain once confirmed stays served; its addresses still fail closed.
      if (error instanceof DirectoryUnavailable && this.confirmedDomains.has(key)) return true;
      throw error;
    }
  }

  aliasTargets(address: string): Promise<string[] | undefined> {
    const key = asciiLower(address);
    return this.cached(`alias:${key}`, async () => {
      const { alias, group } = this.settings.filters;
      const [aliased, lists] = await Promise.all([this.search(alias, key), this.search(group, key)]);
      const targets = new Set(this.enabledMailboxes(aliased));
      for (const entry of lists) for (const member of await this.expand(entry, MAX_GROUP_DEPTH)) targets.add(member);
      targets.delete(key);
      return targets.size > 0 ? [...targets] : undefined;
    });
  }

  sendersFor(address: string): Promise<string[]> {
    const key = asciiLower(address);
    return this.cached(`senders:${key}`, async () =>
      this.enabledMailboxes(await this.search(this.settings.filters.senders, key)),
    );
  }

  /** Exactly one entry, or none: a filter that matches two entries names no one (and is logged). */
  private async findOne(filter: string, key: string): Promise<Found | undefined> {
    const entries = (await this.search(filter, key, this.accountAttributes(), 2)).filter(
      (entry) => this.mailOf(entry) !== undefined,
    );
    if (entries.length > 1) {
      this.log.warn(
        { key, dns: entries.map((entry) => entry.dn) },
        'LDAP: more than one entry matches; treated as no account',
      );
      return undefined;
    }
    const entry = entries[0];
    return entry && { dn: entry.dn, account: this.accountOf(entry) };
  }

  /** A list's members (their mailboxes, lists within it expanded), or the entry's own mailbox. */
  private async expand(entry: Entry, depth: number): Promise<string[]> {
    const members = values(entry, this.settings.attributes.member);
    if (members.length === 0) return this.enabledMailboxes([entry]);
    if (depth === 0) return [];
    const found: string[] = [];
    for (const dn of members) {
      const memberEntries = await this.connections
        .search(dn, '(objectClass=*)', {
          scope: 'base',
          attributes: [...this.accountAttributes(), this.settings.attributes.member],
        })
        .catch((error: unknown) => (isMissingEntry(error) ? [] : Promise.reject(error)));
      for (const member of memberEntries) found.push(...(await this.expand(member, depth - 1)));
    }
    return found;
  }

  private search(filter: string, key: string, attributes = this.accountAttributes(), sizeLimit = 0): Promise<Entry[]> {
    return this.connections.search(this.settings.searchBase, fillFilter(filter, key), {
      attributes: [...attributes, this.settings.attributes.member],
      sizeLimit,
    });
  }

  private accountAttributes(): string[] {
    const { mail, quota, enabled } = this.settings.attributes;
    return [mail, ...(quota ? [quota] : []), ...(enabled ? [enabled] : [])];
  }

  private mailOf(entry: Entry): string | undefined {
    const mail = values(entry, this.settings.attributes.mail)[0];
    return mail === undefined ? undefined : asciiLower(mail);
  }

  private accountOf(entry: Entry): Account {
    const { enabled, quota } = this.settings.attributes;
    const flag = enabled === undefined ? undefined : values(entry, enabled)[0];
    return {
      address: this.mailOf(entry) as string,
      disabled: enabled !== undefined && !TRUE_VALUES.has((flag ?? '').toLowerCase()),
      quota: quota === undefined ? undefined : dovecotSize(values(entry, quota)[0]),
    };
  }

  private enabledMailboxes(entries: Entry[]): string[] {
    return entries
      .filter((entry) => this.mailOf(entry) !== undefined && !this.accountOf(entry).disabled)
      .map((entry) => this.mailOf(entry) as string);
  }

  private async cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit.value as T;
    const value = await load();
    this.remember(key, value);
    return value;
  }

  private remember(key: string, value: unknown): void {
    const missing = value === undefined || (Array.isArray(value) && value.length === 0) || value === false;
    const ttl = Math.min(this.settings.cacheSeconds, missing ? MAX_NEGATIVE_SECONDS : Infinity) * 1000;
    if (ttl > 0) this.cache.set(key, { value }, { ttl });
  }
}

/** An attribute's values as strings, whatever case the server used for its name. */
function values(entry: Entry, attribute: string): string[] {
  const name = Object.keys(entry).find((key) => key.toLowerCase() === attribute.toLowerCase());
  const value = name === undefined ? undefined : entry[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map((item) => item.toString());
}

/** A quota as Dovecot reads it; anything else is dropped (no limit) rather than written into a setting. */
function dovecotSize(value: string | undefined): string | undefined {
  const match = value === undefined ? null : /^\s*(\d+)\s*([kmgt]?)b?\s*$/i.exec(value);
  if (match === null) return undefined;
  return `${match[1]}${(match[2] ?? '').toUpperCase().replace('K', 'k')}${match[2] ? '' : 'B'}`;
}

function isMissingEntry(error: unknown): boolean {
  return error instanceof Error && /no such object/i.test(error.message);
}
