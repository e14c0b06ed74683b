/**
 * Who exists, how they prove it with a password, and where mail for an address goes.
 * Two account sources implement it: the accounts file (accounts/file-directory.ts) and LDAP
 * (ldap/ldap-directory.ts).
 * The authority asks it for sign-ins; Postfix's maps and Dovecot's user lookups ask it through the adapters.
 */
export interface Account {
  /** The mailbox address: the name Dovecot and Postfix know the account by. */
  address: string;
  disabled: boolean;
  /**
   * Mailbox size limit in Dovecot's size syntax (1G, 500M, or `unlimited` where the source says so),
   * when the source has one; without, POSTFIX_MAILBOX_SIZE_LIMIT applies (quota-settings.ts, mailboxLimit).
   */
  quota?: string | undefined;
}

export type PasswordCheck =
  | { outcome: 'match'; account: Account }
  | { outcome: 'mismatch'; account: Account }
  | { outcome: 'no_password'; account: Account }
  | { outcome: 'unknown_user' };

export interface Directory {
  /** The account a mailbox address names. */
  accountByAddress(address: string): Promise<Account | undefined>;
  /** The account a sign-in name names: an address, or where the source allows, another login such as a uid. */
  accountBySignInName(name: string): Promise<Account | undefined>;
  /**
   * The account a token's username claim names, exactly: the mailbox address itself, or (LDAP with a
   * uid attribute) the entry whose uid is exactly the claim. Never a looser login match, so a token
   * for alice@elsewhere.example cannot open alice@our.domain.
   */
  accountByTokenName(name: string): Promise<Account | undefined>;
  /** Checks a password against the source; never cached, so a changed password counts at once. */
  checkPassword(name: string, password: string): Promise<PasswordCheck>;
  /** Is mail for this domain ours (MAIL_DOMAINS, or any address the source has in it)? */
  servesDomain(domain: string): Promise<boolean>;
  /** Mailboxes an alias or distribution list delivers to; undefined when the address is none. */
  aliasTargets(address: string): Promise<string[] | undefined>;
  /** Sign-in names allowed to send with this address as sender (Postfix's sender login map). */
  sendersFor(address: string): Promise<string[]>;
}

/** The source could not answer (down, timed out): a temporary failure, never a "no". */
export class DirectoryUnavailable extends Error {}

export async function hasMailbox(directory: Directory, address: string): Promise<boolean> {
  const account = await directory.accountByAddress(address);
  return account !== undefined && !account.disabled;
}
