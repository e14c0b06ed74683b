import type { FastifyBaseLogger } from 'fastify';
import type { Settings } from '../config/settings.ts';
import { AccountStore } from './accounts/account-store.ts';
import { FileDirectory } from './accounts/file-directory.ts';
import type { Directory } from './directory.ts';
import { LdapConnections } from './ldap/ldap-connections.ts';
import { LdapDirectory } from './ldap/ldap-directory.ts';

export interface OpenDirectory {
  directory: Directory;
  close(): Promise<void>;
}

/** The accounts file or LDAP, as ACCOUNT_PROVISIONER says. */
export async function openDirectory(settings: Settings, log: FastifyBaseLogger): Promise<OpenDirectory> {
  if (settings.ldap !== undefined) {
    const connections = new LdapConnections(settings.ldap, log);
    return { directory: new LdapDirectory(settings.ldap, connections, settings.domains, log), close: () => connections.close() };
  }
  const accounts = new AccountStore(settings.accountsFile, log);
  await accounts.current();
  return { directory: new FileDirectory(accounts, settings.domains), close: async () => undefined };
}
