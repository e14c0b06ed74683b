import type { Settings } from '../config/settings.ts';
import type { StateStores } from '../state/state-stores.ts';
import type { Logger } from '../vocabulary/logger.ts';
import { AccountsFileStore } from './accounts/accounts-file-store.ts';
import { accountsSource } from './accounts/accounts-source.ts';
import { FileDirectory } from './accounts/file-directory.ts';
import { HashUpgradeQueue } from './accounts/hash-upgrade-queue.ts';
import type { Directory } from './directory.ts';
import { ProvisionedDirectory } from './provisioning/provisioned-directory.ts';

export interface OpenDirectory {
  /** Every account: the account source's, and those the IdP provisioned beside them. */
  directory: Directory;
  /** The account source alone (the accounts file, or LDAP): accounts the IdP did not make. */
  fixed: Directory;
  close(): Promise<void>;
}

/**
 * The account source, as ACCOUNT_PROVISIONER says: the accounts file (with the IdP-provisioned accounts
 * beside it, when provisioning is on) or LDAP.
 */
export async function openDirectory(settings: Settings, stores: StateStores, log: Logger): Promise<OpenDirectory> {
  if (settings.ldap !== undefined) {
    // Loaded for LDAP only: otherwise ldapts stays out of the helper's memory.
    const [{ LdapConnections }, { LdapDirectory }] = await Promise.all([
      import('./ldap/ldap-connections.ts'),
      import('./ldap/ldap-directory.ts'),
    ]);
    const connections = new LdapConnections(settings.ldap, log);
    const directory = new LdapDirectory(settings.ldap, connections, settings.domains, log);
    return { directory, fixed: directory, close: () => connections.close() };
  }
  const accounts = new AccountsFileStore(await accountsSource(settings), log);
  await accounts.current();
  const upgrades = settings.passwordHashUpgrade
    ? { queue: new HashUpgradeQueue(settings.paths.hashUpgradeQueue), log }
    : undefined;
  const file = new FileDirectory(accounts, settings.domains, upgrades);
  const directory =
    settings.provisioning === undefined ? file : new ProvisionedDirectory(file, stores.provisioned, stores.scim);
  return { directory, fixed: file, close: async () => undefined };
}
