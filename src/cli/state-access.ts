import type { FastifyBaseLogger } from 'fastify';
import type { Settings } from '../config/settings.ts';
import { AppPasswordStore } from '../auth/app-passwords/app-password-store.ts';
import { openDirectory } from '../auth/open-directory.ts';
import { SignInPolicies } from '../auth/policy/sign-in-policy.ts';
import { ProvisionedAccounts } from '../auth/provisioning/provisioned-accounts.ts';
import { openStateDatabase } from '../state/state-database.ts';

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

export interface StateAccess {
  appPasswords: AppPasswordStore;
  policies: SignInPolicies;
  provisioned: ProvisionedAccounts;
  /** The account's mailbox address for a sign-in name; refuses one the directory does not know. */
  account(name: string): Promise<string>;
  close(): Promise<void>;
}

/** What the app-password and policy commands work on: the state database, and the directory to check names against. */
export async function openStateAccess(settings: Settings): Promise<StateAccess> {
  const db = openStateDatabase(settings.paths.stateDatabase);
  const { directory, close } = await openDirectory(settings, db, terminalLog);
  return {
    appPasswords: new AppPasswordStore(db),
    policies: new SignInPolicies(db, settings.signInDefaults),
    provisioned: new ProvisionedAccounts(db),
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
