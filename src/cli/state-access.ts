import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import type { Directory } from '../auth/directory.ts';
import { openDirectory } from '../auth/open-directory.ts';
import { MailboxPurger } from '../auth/provisioning/mailbox-purger.ts';
import type { Settings } from '../config/settings.ts';
import { openStateDatabase } from '../state/state-database.ts';
import { openStores, type StateStores } from '../state/state-stores.ts';
import { inTransaction } from '../state/transaction.ts';
import { HELPER_USER, systemAccount } from '../system-accounts.ts';

/** Only warnings and errors reach the terminal; the CLI's own output says what happened. */
const terminalLog = {
  level: 'warn',
  fatal: (...args: unknown[]) => console.error(...args.filter((arg) => typeof arg === 'string')),
  error: (...args: unknown[]) => console.error(...args.filter((arg) => typeof arg === 'string')),
  warn: (...args: unknown[]) => console.error(...args.filter((arg) => typeof arg === 'string')),
  info: () => undefined,
  debug: () => undefined,
  trace: () => undefined,
  silent: () => undefined,
  child: () => terminalLog,
} as unknown as FastifyBaseLogger;

export interface StateAccess extends Pick<StateStores, 'appPasswords' | 'policies' | 'provisioned' | 'bindings'> {
  /** Deleted provisioned accounts past their grace period, purged with their mail; undefined without provisioning. */
  purger: MailboxPurger | undefined;
  /**
   * Removes what the state keeps of an address (app passwords, policy, identity binding), all or none;
   * how many app passwords there were.
   */
  forget(address: string): number;
  /** The account's mailbox address for a sign-in name; refuses one the directory does not know. */
  account(name: string): Promise<string>;
  close(): Promise<void>;
}

/** What the app-password and policy commands work on: the state database, and the directory to check names against. */
export async function openStateAccess(settings: Settings): Promise<StateAccess> {
  // As root (docker exec), a database made here must still be the helper's to open.
  const owner = process.getuid?.() === 0 ? await systemAccount(HELPER_USER) : undefined;
  const db = openStateDatabase(settings.paths.stateDatabase, owner);
  const stores = openStores(db, settings);
  const { appPasswords, policies, provisioned, bindings } = stores;
  const { directory, fixed, close } = await openDirectory(settings, stores, terminalLog);
  return {
    appPasswords,
    policies,
    provisioned,
    bindings,
    purger: mailboxPurger(settings, stores, fixed),
    forget: (address) =>
      inTransaction(db, () => {
        policies.clear(address);
        bindings.unbind(address);
        return appPasswords.revokeAll(address);
      }),
    async account(name) {
      const account = await directory.accountBySignInName(name);
      if (account === undefined) throw new Error(`no account ${name}`);
      return account.address;
    },
    async close() {
      await close();
      db.close();
    },
  };
}

function mailboxPurger(settings: Settings, stores: StateStores, fixed: Directory): MailboxPurger | undefined {
  const { provisioning } = settings;
  if (provisioning === undefined) return undefined;
  return new MailboxPurger({
    accounts: stores.provisioned,
    appPasswords: stores.appPasswords,
    policies: stores.policies,
    bindings: stores.bindings,
    fixed,
    mailRoot: settings.paths.mail,
    purgeAfterSeconds: provisioning.purgeAfterSeconds,
    // The purge's log lines are the helper's kind (JSON on standard output), for fail2ban and log pipelines alike.
    log: pino({ level: settings.logLevel }),
  });
}
