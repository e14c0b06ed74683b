import { stat } from 'node:fs/promises';
import type { Settings } from '../../config/settings.ts';
import { exists } from '../../vocabulary/file-exists.ts';
import { type AccountsData, readAccountsFile, writeAccountsFile } from './accounts-file.ts';
import {
  dmsAccountsFile,
  dmsConfigFolderVersion,
  readDmsConfigFolder,
  writeDmsConfigFolder,
} from './dms-config-folder.ts';

/** Where the accounts, aliases and quotas of ACCOUNT_PROVISIONER=FILE are kept, and how to tell they changed. */
export interface AccountsSource {
  /** The file or folder, as the log and errors name it. */
  name: string;
  /** docker-mailserver's config folder (its files' format: no token-only or disabled accounts). */
  dockerMailserver: boolean;
  version(): Promise<string>;
  read(): Promise<AccountsData>;
  /** Replaces what is kept with `data`, readable by `readers` (the helper's group) alone. */
  write(data: AccountsData, readers?: { gid: number }): Promise<void>;
}

export const accountsFileSource = (path: string): AccountsSource => ({
  name: path,
  dockerMailserver: false,
  version: () =>
    stat(path).then(
      (info) => String(info.mtimeMs),
      () => '-',
    ),
  read: () => readAccountsFile(path),
  write: (data, readers) => writeAccountsFile(path, data, readers),
});

export const dmsFolderSource = (folder: string): AccountsSource => ({
  name: folder,
  dockerMailserver: true,
  version: () => dmsConfigFolderVersion(folder),
  read: () => readDmsConfigFolder(folder),
  write: (data, readers) => writeDmsConfigFolder(folder, data, readers),
});

/** docker-mailserver's config folder when it holds a postfix-accounts.cf (a DMS user's mount), else ACCOUNTS_FILE. */
export async function accountsSource(settings: Settings): Promise<AccountsSource> {
  const folder = settings.paths.dmsConfigFolder;
  return (await exists(dmsAccountsFile(folder))) ? dmsFolderSource(folder) : accountsFileSource(settings.accountsFile);
}
