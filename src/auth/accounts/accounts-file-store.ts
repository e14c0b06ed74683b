import { stat } from 'node:fs/promises';
import { asciiLower } from '../../vocabulary/address.ts';
import type { Logger } from '../../vocabulary/logger.ts';
import { type AccountsData, type FileAccount, readAccountsFile } from './accounts-file.ts';

const RECHECK_MS = 1000;

/**
 * The accounts file, kept in memory and re-read when it changes on disk
 * (checked at most once a second), so CLI edits apply without a restart.
 * A broken edit keeps the last good version in service.
 */
export class AccountsFileStore {
  private data: AccountsData = { accounts: new Map(), aliases: new Map() };
  private loadedMtimeMs = -1;
  private checkedAt = 0;
  private pending: Promise<void> | undefined;

  private readonly path: string;
  private readonly log: Logger;

  constructor(path: string, log: Logger) {
    this.path = path;
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
    const mtimeMs = await stat(this.path).then(
      (info) => info.mtimeMs,
      () => 0,
    );
    if (mtimeMs === this.loadedMtimeMs) return;
    try {
      this.data = await readAccountsFile(this.path);
      this.loadedMtimeMs = mtimeMs;
      this.log.info(
        { file: this.path, accounts: this.data.accounts.size, aliases: this.data.aliases.size },
        'accounts loaded',
      );
    } catch (error) {
      this.log.error(
        { file: this.path, err: (error as Error).message },
        'accounts file not loaded; keeping the last good version',
      );
      this.loadedMtimeMs = mtimeMs;
    }
  }
}
