import { MATCHES_NOTHING } from '../vocabulary/ldap-filter.ts';

/**
 * LDAP_SCHEMA presets: the filters and attribute names of the common directory layouts,
 * so a user of one of them writes no filter. Filters use the placeholders of ldap-filter.ts:
 * %s the whole key (an address, a sign-in name, or for the domain filter a domain),
 * %u its local part, %d its domain.
 */
export type LdapSchema = 'inetorgperson' | 'postfix-book' | 'active-directory';

export interface LdapAttributes {
  /** The mailbox address; the name Dovecot and Postfix know the account by. */
  mail: string;
  /** A second sign-in name (uid, sAMAccountName); unset: sign in by address only. */
  uid: string | undefined;
  /** Extra addresses that deliver to the entry and that it may send as. */
  aliases: string | undefined;
  /** Mailbox size limit (Dovecot size: 1G, 500M; a bare number is bytes). */
  quota: string | undefined;
  /** TRUE/FALSE switch; unset: every entry the filters find is enabled. */
  enabled: string | undefined;
  /** DNs of a distribution list's members. */
  member: string;
}

export interface LdapFilters {
  /** The mailbox entry for an address (Postfix recipients, Dovecot's user lookup). */
  user: string;
  /** The entry for a sign-in name (password sign-in, a token's username claim). */
  login: string;
  /** Entries whose mailboxes receive mail for an alias address. */
  alias: string;
  /** Distribution lists (or, with postfix-book, their members) for a list address. */
  group: string;
  /** Any entry in a domain: the domain is served. */
  domain: string;
  /** Entries whose owners may send with an address as sender. */
  senders: string;
}

export interface LdapPreset {
  attributes: LdapAttributes;
  filters: (attributes: LdapAttributes) => LdapFilters;
}

/** Login by address, or also by the uid attribute when one is configured. */
function loginFilter(person: string, attributes: LdapAttributes): string {
  const byAddress = `(${attributes.mail}=%s)`;
  return attributes.uid === undefined
    ? `(&${person}${byAddress})`
    : `(&${person}(|${byAddress}(${attributes.uid}=%s)))`;
}

function aliasClause(attributes: LdapAttributes, value: string): string {
  return attributes.aliases === undefined ? MATCHES_NOTHING : `(${attributes.aliases}=${value})`;
}

const inetOrgPerson: LdapPreset = {
  attributes: {
    mail: 'mail',
    uid: undefined,
    aliases: 'mailLocalAddress',
    quota: undefined,
    enabled: undefined,
    member: 'member',
  },
  filters: (a) => {
    const person = '(objectClass=inetOrgPerson)';
    return {
      user: `(&${person}(${a.mail}=%s))`,
      login: loginFilter(person, a),
      alias: `(&${person}${aliasClause(a, '%s')})`,
      group: `(&(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))(|(${a.mail}=%s)${aliasClause(a, '%s')}))`,
      domain: `(|(${a.mail}=*@%s)${aliasClause(a, '*@%s')})`,
      senders: `(&${person}(|(${a.mail}=%s)${aliasClause(a, '%s')}))`,
    };
  },
};

// docker-mailserver's defaults, so its compose files behave the same without any filter set.
const postfixBook: LdapPreset = {
  attributes: {
    mail: 'mail',
    uid: undefined,
    aliases: 'mailAlias',
    quota: 'mailQuota',
    enabled: 'mailEnabled',
    member: 'member',
  },
  filters: (a) => {
    const enabled = a.enabled === undefined ? '' : `(${a.enabled}=TRUE)`;
    const person = `(objectClass=PostfixBookMailAccount)${enabled}`;
    return {
      user: `(&(${a.mail}=%s)${enabled})`,
      login: loginFilter(person, a),
      alias: `(&${aliasClause(a, '%s')}${enabled})`,
      group: `(&(mailGroupMember=%s)${enabled})`,
      domain: `(&(|(${a.mail}=*@%s)${aliasClause(a, '*@%s')}(mailGroupMember=*@%s))${enabled})`,
      senders: `(&${person}(|(${a.mail}=%s)${aliasClause(a, '%s')}(mailGroupMember=%s)))`,
    };
  },
};

// Disabled accounts carry bit 2 of userAccountControl; the matching rule tests that bit.
const AD_ENABLED = '(!(userAccountControl:1.2.840.113556.1.4.803:=2))';

const activeDirectory: LdapPreset = {
  attributes: {
    mail: 'mail',
    uid: undefined,
    aliases: 'proxyAddresses',
    quota: undefined,
    enabled: undefined,
    member: 'member',
  },
  filters: (a) => {
    const person = `(objectCategory=person)(objectClass=user)${AD_ENABLED}`;
    // proxyAddresses hold "smtp:alias@domain" (and "SMTP:" for the primary); matching ignores case.
    const proxy = (value: string) => (a.aliases === undefined ? MATCHES_NOTHING : `(${a.aliases}=smtp:${value})`);
    return {
      user: `(&${person}(${a.mail}=%s))`,
      login: loginFilter(person, a),
      alias: `(&${person}${proxy('%s')})`,
      group: `(&(objectClass=group)(|(${a.mail}=%s)${proxy('%s')}))`,
      domain: `(|(&${person}(|(${a.mail}=*@%s)${proxy('*@%s')}))(&(objectClass=group)(${a.mail}=*@%s)))`,
      senders: `(&${person}(|(${a.mail}=%s)${proxy('%s')}))`,
    };
  },
};

export const LDAP_PRESETS: Record<LdapSchema, LdapPreset> = {
  inetorgperson: inetOrgPerson,
  'postfix-book': postfixBook,
  'active-directory': activeDirectory,
};
