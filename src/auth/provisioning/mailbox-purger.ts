import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../vocabulary/logger.ts';
import type { AppPasswordStore } from '../app-passwords/app-password-store.ts';
import type { Directory } from '../directory.ts';
import type { IdentityBindings } from '../identity/identity-bindings.ts';
import type { SignInPolicies } from '../policy/sign-in-policy.ts';
import type { ProvisionedAccounts } from './provisioned-accounts.ts';

export interface MailboxPurgerParts {
  accounts: ProvisionedAccounts;
  appPasswords: AppPasswordStore;
  policies: SignInPolicies;
  bindings: IdentityBindings;
  /** The accounts file: an address it has (now) is never purged, whatever the provisioned record says. */
  fixed: Directory;
  /** Where Dovecot keeps mail: <root>/<domain>/<local part> (dovecot.conf's mail_home). */
  mailRoot: string;
  purgeAfterSeconds: number;
  log: Logger;
}

/** The mailbox directory of an address; refuses a local part that would leave <root>/<domain>/. */
export function mailboxPath(mailRoot: string, address: string): string {
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (at < 1 || /[/\\]|^\.\.?$/.test(local) || /[/\\]|^\.\.?$/.test(domain) || domain === '') {
    throw new Error(`${JSON.stringify(address)} does not name a mailbox directory`);
  }
  return join(mailRoot, domain, local);
}

/**
 * Deleted provisioned accounts keep their mail for PROVISIONING_PURGE_AFTER; then their mailbox,
 * app passwords, policy and record go, each purge logged. Never at once: a deletion by mistake
 * in the IdP can be undone by provisioning the account again within the grace period.
 */
export class MailboxPurger {
  private readonly parts: MailboxPurgerParts;

  constructor(parts: MailboxPurgerParts) {
    this.parts = parts;
  }

  /** Purges what is due; the addresses purged. */
  async purgeDue(now = Date.now()): Promise<string[]> {
    const { accounts, appPasswords, policies, bindings, mailRoot, purgeAfterSeconds, log } = this.parts;
    const purged: string[] = [];
    for (const address of accounts.deletedBefore(now - purgeAfterSeconds * 1000)) {
      if (await this.ownedByTheFile(address)) {
        // The mailbox, its app passwords and policy are the file account's: only the stale record goes.
        accounts.remove(address);
        log.warn(
          { event: 'purge-skipped', address },
          'deleted provisioned account not purged: the address belongs to the accounts file',
        );
        continue;
      }
      try {
        await rm(mailboxPath(mailRoot, address), { recursive: true, force: true });
      } catch (error) {
        log.error(
          { event: 'purge-failed', address, err: (error as Error).message },
          'mailbox not purged; kept and retried later',
        );
        continue;
      }
      const revoked = appPasswords.revokeAll(address);
      policies.clear(address);
      bindings.unbind(address);
      accounts.remove(address);
      log.info({ event: 'purged', address, appPasswordsRevoked: revoked }, 'deleted account purged with its mail');
      purged.push(address);
    }
    return purged;
  }

  private async ownedByTheFile(address: string): Promise<boolean> {
    const { fixed } = this.parts;
    return (await fixed.accountByAddress(address)) !== undefined || (await fixed.aliasTargets(address)) !== undefined;
  }
}

/** How often purges are looked for: a quarter of the grace period, between 1 s and 1 h. */
export const purgeIntervalMs = (purgeAfterSeconds: number): number =>
  Math.min(Math.max((purgeAfterSeconds * 1000) / 4, 1000), 3_600_000);
