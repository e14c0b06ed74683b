import { type CleanedEnv, makeValidator } from 'envalid';
import { parseQuotaSize } from './quota-size.ts';
import { flag } from './validators.ts';

/** Mailbox size limits, on with ENABLE_QUOTAS (the settings hold none when they are off). */
export interface QuotaSettings {
  /** The limit of an account whose source names none, as Dovecot reads it (`unlimited`, `5G`). */
  defaultQuota: string;
}

// docker-mailserver takes bytes and reads an empty value as 0 (no limit); a unit (5G) is allowed besides.
const mailboxSize = makeValidator<string>((value) => parseQuotaSize(value.trim() === '' ? '0' : value));

export const quotaSpecs = {
  ENABLE_QUOTAS: flag({
    default: true,
    desc:
      "Mailbox size limits (Dovecot's quota), shown to IMAP clients: each account's own (the accounts file's " +
      '`quota`, `LDAP_ATTRIBUTE_QUOTA`, the provisioning template), else `POSTFIX_MAILBOX_SIZE_LIMIT`; mail for a ' +
      'full mailbox is refused at RCPT on port 25. `0`: no limit anywhere',
    example: '0',
  }),
  POSTFIX_MAILBOX_SIZE_LIMIT: mailboxSize({
    default: 'unlimited',
    defaultText: '0',
    desc:
      'The limit of accounts that have none of their own: bytes (as in docker-mailserver) or a size like `5G`; ' +
      '`0`: unlimited',
    example: '5G',
  }),
};

type QuotaEnv = CleanedEnv<typeof quotaSpecs>;

export function quotaSettings(env: QuotaEnv): QuotaSettings | undefined {
  return env.ENABLE_QUOTAS ? { defaultQuota: env.POSTFIX_MAILBOX_SIZE_LIMIT } : undefined;
}

export function quotaWarnings(env: QuotaEnv): string[] {
  if (env.ENABLE_QUOTAS || env.POSTFIX_MAILBOX_SIZE_LIMIT === 'unlimited') return [];
  return ['POSTFIX_MAILBOX_SIZE_LIMIT is set, but ENABLE_QUOTAS=0: no mailbox has a size limit'];
}

/**
 * The quota_storage_size Dovecot gets for an account, whichever source it comes from: its own limit,
 * else the default. None at all with quotas off, where Dovecot loads no quota plugin to read it.
 */
export function mailboxLimit(own: string | undefined, quotas: QuotaSettings | undefined): string | undefined {
  return quotas === undefined ? undefined : (own ?? quotas.defaultQuota);
}
