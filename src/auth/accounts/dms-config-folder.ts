import { chmod, chown, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { parseQuotaSize } from '../../config/quota-size.ts';
import { parseAddress } from '../../vocabulary/address.ts';
import { isCryptHash } from '../passwords/crypt-hashes.ts';
import { isSupportedHash } from '../passwords/password-hash.ts';
import { type AccountsData, AccountsFileError, type FileAccount } from './accounts-file.ts';

/**
 * docker-mailserver's config folder, read as it is (ACCOUNT_PROVISIONER=FILE there):
 *   postfix-accounts.cf   `user@domain|{SHA512-CRYPT}$6$…` (`setup email add`)
 *   postfix-virtual.cf    `alias@domain target@domain[,target…]` (`setup alias add`)
 *   dovecot-quotas.cf     `user@domain:5G` (`setup quota set`)
 */
export const DMS_ACCOUNT_FILES = ['postfix-accounts.cf', 'postfix-virtual.cf', 'dovecot-quotas.cf'] as const;

export const dmsAccountsFile = (folder: string): string => `${folder}/postfix-accounts.cf`;

/** docker-mailserver's reading of its files: blank lines and `#` comments skipped, each line trimmed. */
function validLines(text: string): Array<{ line: string; number: number }> {
  return text
    .split('\n')
    .map((line, index) => ({ line: line.trim(), number: index + 1 }))
    .filter(({ line }) => line !== '' && !line.startsWith('#'));
}

async function readOptional(path: string): Promise<string> {
  return readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
}

function addressAt(value: string, where: string): string {
  try {
    return parseAddress(value);
  } catch (error) {
    throw new AccountsFileError(`${where}: ${(error as Error).message}`);
  }
}

function parseAccountLine(line: string, where: string): FileAccount {
  const [login = '', hash = '', ...attributes] = line.split('|');
  if (attributes.some((attribute) => attribute.trim() !== ''))
    throw new AccountsFileError(`${where}: user attributes after the hash are not read here; allowed: address|hash`);
  if (!isCryptHash(hash) && !isSupportedHash(hash))
    throw new AccountsFileError(
      `${where}: the password is no {SHA512-CRYPT}, {SHA256-CRYPT}, {BLF-CRYPT} or {ARGON2ID} hash (as "doveadm pw" writes them)`,
    );
  return { address: addressAt(login, where), passwordHash: hash, disabled: false };
}

function parseAliasLine(line: string, where: string): [string, string[]] {
  const [alias = '', targets = '', ...rest] = line.split(/\s+/);
  if (alias.startsWith('@'))
    throw new AccountsFileError(
      `${where}: a catch-all (${alias}) is not served here; allowed: one alias address per line`,
    );
  if (targets === '' || rest.length > 0) throw new AccountsFileError(`${where}: expected "alias target[,target…]"`);
  return [addressAt(alias, where), targets.split(',').map((target) => addressAt(target, where))];
}

function parseQuotaLine(line: string, where: string): [string, string] {
  const separator = line.lastIndexOf(':');
  if (separator < 0) throw new AccountsFileError(`${where}: expected "address:size"`);
  try {
    return [addressAt(line.slice(0, separator), where), parseQuotaSize(line.slice(separator + 1))];
  } catch (error) {
    if (error instanceof AccountsFileError) throw error;
    throw new AccountsFileError(`${where}: ${(error as Error).message}`);
  }
}

function eachLine<T>(text: string, file: string, parse: (line: string, where: string) => T): T[] {
  return validLines(text).map(({ line, number }) => parse(line, `${file}:${number}`));
}

export async function readDmsConfigFolder(folder: string): Promise<AccountsData> {
  const [accountsText, virtualText, quotasText] = await Promise.all(
    DMS_ACCOUNT_FILES.map((name) => readOptional(`${folder}/${name}`)),
  );
  const accounts = new Map<string, FileAccount>();
  for (const account of eachLine(accountsText ?? '', dmsAccountsFile(folder), parseAccountLine)) {
    if (accounts.has(account.address))
      throw new AccountsFileError(`${dmsAccountsFile(folder)}: ${account.address} is listed twice`);
    accounts.set(account.address, account);
  }
  const quotas = `${folder}/dovecot-quotas.cf`;
  for (const [address, quota] of eachLine(quotasText ?? '', quotas, parseQuotaLine)) {
    const account = accounts.get(address);
    if (account === undefined) throw new AccountsFileError(`${quotas}: ${address} has no account`);
    account.quota = quota;
  }
  const virtual = `${folder}/postfix-virtual.cf`;
  const aliases = new Map<string, string[]>();
  for (const [alias, targets] of eachLine(virtualText ?? '', virtual, parseAliasLine)) {
    if (aliases.has(alias)) throw new AccountsFileError(`${virtual}: ${alias} is listed twice`);
    aliases.set(alias, targets);
  }
  return { accounts, aliases };
}

/** The files' modification times, which change when `setup` (or an editor) writes one. */
export async function dmsConfigFolderVersion(folder: string): Promise<string> {
  const times = await Promise.all(
    DMS_ACCOUNT_FILES.map((name) =>
      stat(`${folder}/${name}`).then(
        (info) => String(info.mtimeMs),
        () => '-',
      ),
    ),
  );
  return times.join(',');
}

/**
 * The accounts, aliases and quotas written back in docker-mailserver's three files (`idmail account`,
 * `idmail alias`, and `setup` through them): each replaced at once, readable by `readers` alone. Its
 * format has no token-only or disabled account: those are refused before any file is written.
 */
export async function writeDmsConfigFolder(
  folder: string,
  data: AccountsData,
  readers?: { gid: number },
): Promise<void> {
  const accounts = [...data.accounts.values()].sort((a, b) => a.address.localeCompare(b.address));
  for (const account of accounts) {
    if (account.passwordHash === undefined)
      throw new AccountsFileError(
        `${account.address}: docker-mailserver's postfix-accounts.cf has no token-only accounts; allowed: give it a password`,
      );
    if (account.disabled)
      throw new AccountsFileError(
        `${account.address}: docker-mailserver's postfix-accounts.cf has no disabled accounts; allowed: delete it instead`,
      );
  }
  const lines = {
    'postfix-accounts.cf': accounts.map((account) => `${account.address}|${account.passwordHash}`),
    'postfix-virtual.cf': [...data.aliases]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([alias, targets]) => `${alias} ${targets.join(',')}`),
    'dovecot-quotas.cf': accounts.flatMap((account) =>
      account.quota === undefined ? [] : [`${account.address}:${account.quota}`],
    ),
  };
  for (const name of DMS_ACCOUNT_FILES) {
    const text = lines[name].map((line) => `${line}\n`).join('');
    await replaceFile(`${folder}/${name}`, text, readers);
  }
}

async function replaceFile(path: string, text: string, readers: { gid: number } | undefined): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode: 0o640 });
  await chmod(temporary, 0o640);
  if (readers !== undefined) await chown(temporary, process.getuid?.() ?? 0, readers.gid);
  await rename(temporary, path);
}
