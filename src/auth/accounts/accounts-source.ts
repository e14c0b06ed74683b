import { access, stat } from 'node:fs/promises';
import type { Settings } from '../../config/settings.ts';
import { type AccountsData, readAccountsFile } from './accounts-file.ts';
import { dmsAccountsFile, dmsConfigFolderVersion, readDmsConfigFolder } from './dms-config-folder.ts';

/** Where the accounts, aliases and quotas of ACCOUNT_PROVISIONER=FILE are kept, and how to tell they changed. */
export interface AccountsSource {
  /** The file or folder, as the log and errors name it. */
  name: string;
  /** docker-mailserver's config folder: managed with its `setup`, not with `idmail account`. */
  dockerMailserver: boolean;
  version(): Promise<string>;
  read(): Promise<AccountsData>;
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
});

const dmsFolderSource = (folder: string): AccountsSource => ({
  name: folder,
  dockerMailserver: true,
  version: () => dmsConfigFolderVersion(folder),
  read: () => readDmsConfigFolder(folder),
});

/** docker-mailserver's config folder when it holds a postfix-accounts.cf (a DMS user's mount), else ACCOUNTS_FILE. */
export async function accountsSource(settings: Settings): Promise<AccountsSource> {
  const folder = settings.paths.dmsConfigFolder;
  const present = await access(dmsAccountsFile(folder)).then(
    () => true,
    () => false,
  );
  return present ? dmsFolderSource(folder) : accountsFileSource(settings.accountsFile);
}
