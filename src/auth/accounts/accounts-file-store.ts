import { asciiLower } from '../../vocabulary/address.ts';
import type { Logger } from '../../vocabulary/logger.ts';
import type { AccountsData, FileAccount } from './accounts-file.ts';
import type { AccountsSource } from './accounts-source.ts';

const RECHECK_MS = 1000;

/**
 * The accounts file (or docker-mailserver's config folder), kept in memory and re-read when it changes
 * on disk (checked at most once a second), so CLI edits apply without a restart.
 * A broken edit keeps the last good version in service.
 */
export class AccountsFileStore {
  private data: AccountsData = { accounts: new Map(), aliases: new Map() };
  private loadedVersion: string | undefined;
  private checkedAt = 0;
  private pending: Promise<void> | undefined;

  private readonly source: AccountsSource;
  private readonly log: Logger;

  constructor(source: AccountsSource, log: Logger) {
    this.source = source;
    this.log = log;
  }

  async current(): Promise<AccountsData> {
    if (Date.now() - this.checkedAt >= RECHECK_MS) {
      this.pending ??= this.refresh().finally(() => (this.pending = undefined));
      await this.pending;
    }
    return this.data;
  }

  async account(address: string): Promise<FileAccount | undefined> {
    return (await this.current()).accounts.get(asciiLower(address));
  }

  private async refresh(): Promise<void> {
    this.checkedAt = Date.now();
    const version = await this.source.version();
    if (version === this.loadedVersion) return;
    const file = this.source.name;
    try {
      this.data = await this.source.read();
      this.loadedVersion = version;
      this.log.info({ file, accounts: this.data.accounts.size, aliases: this.data.aliases.size }, 'accounts loaded');
    } catch (error) {
      this.log.error(
        { file, err: (error as Error).message },
        'accounts file not loaded; keeping the last good version',
      );
      this.loadedVersion = version;
    }
  }
}
