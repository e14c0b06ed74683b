import { SIGN_IN_PROTOCOLS, type SignInProtocol } from '../vocabulary/sign-in.ts';
import { parseQuotaSize } from './quota-size.ts';
import { parseChoiceList } from './validators.ts';

/** What a provisioned account gets: a quota and the protocols it may sign in on. */
export interface ProvisioningTemplate {
  name: string;
  /** Dovecot size (5G, 500M), or undefined for no limit. */
  quota: string | undefined;
  protocols: SignInProtocol[];
}

export const DEFAULT_TEMPLATES = `default:unlimited:${SIGN_IN_PROTOCOLS.join(',')}`;

/**
 * PROVISIONING_TEMPLATES: `name:quota:protocols` entries separated by `;`, e.g.
 * `default:5G:imap,smtp;staff:20G:imap,pop3,smtp,sieve`. A template named `default` is required.
 */
export function parseTemplates(value: string): Map<string, ProvisioningTemplate> {
  const templates = new Map<string, ProvisioningTemplate>();
  for (const entry of value
    .split(';')
    .map((item) => item.trim())
    .filter(Boolean)) {
    const [name = '', quota = '', protocols = '', ...rest] = entry.split(':').map((part) => part.trim());
    if (rest.length > 0 || !/^[a-z0-9_-]{1,64}$/i.test(name))
      throw new Error(`"${entry}" is not name:quota:protocols; allowed: e.g. staff:20G:imap,smtp`);
    const size = quotaOf(quota, entry);
    templates.set(name.toLowerCase(), {
      name: name.toLowerCase(),
      quota: size === 'unlimited' ? undefined : size,
      protocols: parseChoiceList(protocols, SIGN_IN_PROTOCOLS),
    });
  }
  if (!templates.has('default'))
    throw new Error('has no template named default; allowed: e.g. default:5G:imap,pop3,smtp,sieve');
  return templates;
}

function quotaOf(quota: string, entry: string): string {
  try {
    return parseQuotaSize(quota);
  } catch (error) {
    throw new Error(`in "${entry}": ${(error as Error).message}`);
  }
}
