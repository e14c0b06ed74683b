import type { Logger } from '../vocabulary/logger.ts';
import type { Settings } from '../config/settings.ts';
import type { StateStores } from '../state/state-stores.ts';
import { AccountStore } from './accounts/account-store.ts';
import { FileDirectory } from './accounts/file-directory.ts';
import type { Directory } from './directory.ts';
import { LdapConnections } from './ldap/ldap-connections.ts';
import { LdapDirectory } from './ldap/ldap-directory.ts';
import { ProvisionedDirectory } from './provisioning/provisioned-directory.ts';

export interface OpenDirectory {
  /** Every account: the source's, and those the IdP provisioned beside them. */
  directory: Directory;
  /** The source alone (the accounts file, or LDAP): accounts the IdP did not make. */
  fixed: Directory;
  close(): Promise<void>;
}

/**
 * The accounts file (with the IdP-provisioned accounts beside it, when provisioning is on) or LDAP,
 * as ACCOUNT_PROVISIONER says.
 */
export async function openDirectory(settings: Settings, stores: StateStores, log: Logger): Promise<OpenDirectory> {
  if (settings.ldap !== undefined) {
    const connections = new LdapConnections(settings.ldap, log);
    const directory = new LdapDirectory(settings.ldap, connections, settings.domains, log);
    return { directory, fixed: directory, close: () => connections.close() };
  }
  const accounts = new AccountStore(settings.accountsFile, log);
  await accounts.current();
  const file = new FileDirectory(accounts, settings.domains);
  const directory =
    settings.provisioning === undefined ? file : new ProvisionedDirectory(file, stores.provisioned, stores.scim);
  return { directory, fixed: file, close: async () => undefined };
}
