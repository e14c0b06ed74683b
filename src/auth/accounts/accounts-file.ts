import { chmod, chown, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import YAML from 'yaml';
import { parseQuotaSize } from '../../config/quota-size.ts';
import { asciiLower, parseAddress } from '../../vocabulary/address.ts';
import { isSupportedHash } from '../passwords/password-hash.ts';

/**
 * The accounts file (ACCOUNTS_FILE, /etc/idmail/accounts.yaml):
 *
 *   accounts:
 *     alice@example.org: {}                       # token-only
 *     bob@example.org: { password: "{ARGON2ID}…" }
 *     carol@example.org: { disabled: true }
 *     dave@example.org: { quota: 5G }            # or unlimited; none: POSTFIX_MAILBOX_SIZE_LIMIT
 *   aliases:
 *     team@example.org: [alice@example.org, bob@example.org]
 */
export interface FileAccount {
  address: string;
  passwordHash: string | undefined;
  disabled: boolean;
  /** Its own mailbox size limit (`5G`, or `unlimited`); undefined: the default (POSTFIX_MAILBOX_SIZE_LIMIT). */
  quota?: string | undefined;
}

export interface AccountsData {
  accounts: Map<string, FileAccount>;
  aliases: Map<string, string[]>;
}

export class AccountsFileError extends Error {}

export function parseAccounts(text: string, source: string): AccountsData {
  // yaml's own duplicate-key check is quadratic (100 000 accounts took minutes); duplicates are found by address below.
  const parsed = YAML.parseDocument(text, { uniqueKeys: false });
  if (parsed.errors.length > 0) throw new AccountsFileError(`${source}: not valid YAML: ${parsed.errors[0]?.message}`);
  for (const section of ['accounts', 'aliases']) refuseTwice(parsed, section, source);
  const root = asRecord(parsed.toJS() ?? {}, source);
  const accounts = new Map<string, FileAccount>();
  for (const [key, value] of Object.entries(asRecord(root.accounts ?? {}, `${source}: accounts`))) {
    const account = parseAccount(key, value ?? {}, source);
    accounts.set(account.address, account);
  }
  const aliases = new Map<string, string[]>();
  for (const [key, value] of Object.entries(asRecord(root.aliases ?? {}, `${source}: aliases`))) {
    const targets = (Array.isArray(value) ? value : [value]).map((target) => address(String(target), source));
    aliases.set(address(key, source), targets);
  }
  return { accounts, aliases };
}

/** An address listed twice in a section (also when spelled in another case) is an error, not a silent override. */
function refuseTwice(parsed: YAML.Document, section: string, source: string): void {
  const entries = parsed.get(section);
  if (!YAML.isMap(entries)) return;
  const seen = new Set<string>();
  for (const { key } of entries.items) {
    const name = asciiLower(String(YAML.isScalar(key) ? key.value : key));
    if (seen.has(name)) throw new AccountsFileError(`${source}: ${section}: ${name} is listed twice`);
    seen.add(name);
  }
}

function parseAccount(key: string, value: unknown, source: string): FileAccount {
  const fields = asRecord(value, `${source}: account ${key}`);
  const password = fields.password;
  if (password !== undefined && (typeof password !== 'string' || !isSupportedHash(password))) {
    throw new AccountsFileError(
      `${source}: account ${key}: password is not an {ARGON2ID} hash (set it with "idmail account password")`,
    );
  }
  const quota = fields.quota === undefined ? undefined : quotaOf(fields.quota, `${source}: account ${key}`);
  return {
    address: address(key, source),
    passwordHash: password,
    disabled: fields.disabled === true,
    ...(quota === undefined ? {} : { quota }),
  };
}

/** YAML reads `quota: 1048576` as a number and `quota: 5G` as text: both are sizes; a list or mapping is neither. */
function quotaOf(value: unknown, where: string): string {
  try {
    return parseQuotaSize(
      typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value),
    );
  } catch (error) {
    throw new AccountsFileError(`${where}: quota: ${(error as Error).message} (set it with "idmail account quota")`);
  }
}

function address(value: string, source: string): string {
  try {
    return parseAddress(value);
  } catch (error) {
    throw new AccountsFileError(`${source}: ${(error as Error).message}`);
  }
}

function asRecord(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AccountsFileError(`${where}: expected a mapping`);
  }
  return value as Record<string, unknown>;
}

function serializeAccounts(data: AccountsData): string {
  const accounts: Record<string, Record<string, unknown>> = {};
  for (const account of [...data.accounts.values()].sort((a, b) => a.address.localeCompare(b.address))) {
    accounts[account.address] = {
      ...(account.passwordHash === undefined ? {} : { password: account.passwordHash }),
      ...(account.disabled ? { disabled: true } : {}),
      ...(account.quota === undefined ? {} : { quota: account.quota }),
    };
  }
  const aliases = Object.fromEntries([...data.aliases.entries()].sort(([a], [b]) => a.localeCompare(b)));
  return `# idmail accounts and aliases; manage with "idmail account" and "idmail alias".\n${YAML.stringify({ accounts, aliases })}`;
}

export async function readAccountsFile(path: string): Promise<AccountsData> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { accounts: new Map(), aliases: new Map() };
    throw error;
  }
  return parseAccounts(text, path);
}

/**
 * Write-then-rename, so a reader never sees half a file and a crash loses nothing. It holds password
 * hashes: readable by its owner and `readers` (the helper's group) alone.
 */
export async function writeAccountsFile(path: string, data: AccountsData, readers?: { gid: number }): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, serializeAccounts(data), { mode: 0o640 });
  await chmod(temporary, 0o640);
  if (readers !== undefined) await chown(temporary, process.getuid?.() ?? 0, readers.gid);
  await rename(temporary, path);
}
