// Where the demo IdP checks passwords: the IDP_USERS list, or an LDAP directory
// (IDP_LDAP_URL …), as Keycloak's and Authentik's LDAP federation do, so a person has one
// password for the IdP and for idmail's directory sign-in.
import { Client, EqualityFilter, InvalidCredentialsError } from 'ldapts';

/** "address:password,…" → a check against that fixed list. */
export function staticUsers(list) {
  const users = new Map(list.split(',').map((entry) => entry.split(':')));
  return {
    knows: (address) => users.has(address),
    async checkPassword(address, password) {
      return users.has(address) && users.get(address) === password ? address : undefined;
    },
  };
}

/** Search the entry by mail as the service account, then bind as it with the password. */
export function ldapUsers({ url, base, bindDn, bindPassword }) {
  return {
    knows: () => true,
    async checkPassword(address, password) {
      if (!address || !password) return undefined;
      const client = new Client({ url, timeout: 5000, connectTimeout: 5000 });
      try {
        await client.bind(bindDn, bindPassword);
        const filter = new EqualityFilter({ attribute: 'mail', value: address });
        const { searchEntries } = await client.search(base, { filter, attributes: ['mail'] });
        if (searchEntries.length !== 1) return undefined;
        await client.bind(searchEntries[0].dn, password);
        return String(searchEntries[0].mail).toLowerCase();
      } catch (error) {
        if (error instanceof InvalidCredentialsError) return undefined;
        throw error;
      } finally {
        await client.unbind().catch(() => undefined);
      }
    },
  };
}
