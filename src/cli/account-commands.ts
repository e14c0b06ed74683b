import type { Command } from 'commander';
import type { AccountsData } from '../auth/accounts/accounts-file.ts';
import type { AccountsSource } from '../auth/accounts/accounts-source.ts';
import { takeQueuedUpgrades } from '../auth/accounts/hash-upgrade-queue.ts';
import { hashPassword } from '../auth/passwords/password-hash.ts';
import { parseQuotaSize } from '../config/quota-size.ts';
import { HELPER_USER, systemAccount } from '../system-accounts.ts';
import { parseAddress } from '../vocabulary/address.ts';
import { readNewPassword } from './password-input.ts';
import { type OpenState, withState } from './with-state.ts';

type SourceOf = () => Promise<AccountsSource>;

/** As root (docker exec, a root service), the file stays readable for the helper's group. */
const helperReaders = async () => (process.getuid?.() === 0 ? await systemAccount(HELPER_USER) : undefined);

async function edit(source: AccountsSource, change: (data: AccountsData) => void | Promise<void>): Promise<void> {
  const data = await source.read();
  await change(data);
  await source.write(data, await helperReaders());
}

function fail(message: string): never {
  throw new Error(message);
}

/**
 * Root's side of PASSWORD_HASH_UPGRADE: each queued Argon2id hash put in place where the account still has
 * the hash its password matched (a password changed meanwhile wins); one write for all of them.
 */
async function applyHashUpgrades(source: AccountsSource, queueFolder: string): Promise<string[]> {
  const upgrades = await takeQueuedUpgrades(queueFolder);
  const applied: string[] = [];
  const data = await source.read();
  for (const upgrade of upgrades) {
    const account = upgrade && data.accounts.get(upgrade.address);
    if (upgrade === undefined || account?.passwordHash !== upgrade.oldHash) continue;
    account.passwordHash = upgrade.newHash;
    applied.push(upgrade.address);
  }
  if (applied.length > 0) await source.write(data, await helperReaders());
  const skipped = upgrades.length - applied.length;
  return [
    ...applied.map((address) => `password hash of ${address} upgraded to Argon2id`),
    ...(skipped > 0
      ? [`${skipped} queued hash upgrade(s) dropped: the account's hash changed, or the entry was malformed`]
      : []),
  ];
}

export function accountCommands(
  program: Command,
  accountsFile: SourceOf,
  openState: OpenState,
  hashUpgradeQueue: () => string,
): void {
  const account = program
    .command('account')
    .description("manage mail accounts (ACCOUNTS_FILE, or docker-mailserver's postfix-accounts.cf)");
  account
    .command('add <address>')
    .description('create an account; asks for a password unless --no-password or --password-stdin')
    .option('--password-stdin', 'read the password from standard input')
    .option('--no-password', 'token-only account: signs in with OAuth2 only')
    .action(async (address: string, options: { password: boolean; passwordStdin?: boolean }) => {
      const name = parseAddress(address);
      const hash = options.password
        ? await hashPassword(await readNewPassword(options.passwordStdin === true))
        : undefined;
      await edit(await accountsFile(), (data) => {
        if (data.accounts.has(name)) fail(`account ${name} already exists`);
        data.accounts.set(name, { address: name, passwordHash: hash, disabled: false });
      });
      console.log(`account ${name} created${hash === undefined ? ' (token-only)' : ''}`);
    });
  account
    .command('password <address>')
    .description('set or change the password of an account')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (address: string, options: { passwordStdin?: boolean }) => {
      const name = parseAddress(address);
      const hash = await hashPassword(await readNewPassword(options.passwordStdin === true));
      await edit(await accountsFile(), (data) => {
        const existing = data.accounts.get(name) ?? fail(`no account ${name}`);
        existing.passwordHash = hash;
      });
      console.log(`password of ${name} changed`);
    });
  for (const [verb, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    account
      .command(`${verb} <address>`)
      .description(`${verb} sign-in and delivery for an account`)
      .action(async (address: string) => {
        const name = parseAddress(address);
        await edit(await accountsFile(), (data) => {
          (data.accounts.get(name) ?? fail(`no account ${name}`)).disabled = disabled;
        });
        console.log(`account ${name} ${verb}d`);
      });
  }
  account
    .command('quota <address> <size>')
    .description(
      'set the mailbox size limit: a size like 500M or 5G, unlimited, or default (POSTFIX_MAILBOX_SIZE_LIMIT)',
    )
    .action(async (address: string, size: string) => {
      const name = parseAddress(address);
      const quota = size === 'default' ? undefined : parseQuotaSize(size);
      await edit(await accountsFile(), (data) => {
        const existing = data.accounts.get(name) ?? fail(`no account ${name}`);
        if (quota === undefined) delete existing.quota;
        else existing.quota = quota;
      });
      console.log(`quota of ${name}: ${quota ?? 'the default (POSTFIX_MAILBOX_SIZE_LIMIT)'}`);
    });
  account
    .command('del <address>')
    .description('delete an account with its app passwords, policy and IdP identity (its mail stays in /var/mail)')
    .action(async (address: string) => {
      const name = parseAddress(address);
      if (!(await (await accountsFile()).read()).accounts.has(name)) fail(`no account ${name}`);
      // A new account with this address must start clean: nothing of the old one's signs in to it.
      const revoked = await withState(openState, async (state) => state.forget(name));
      await edit(await accountsFile(), (data) => void data.accounts.delete(name));
      console.log(`account ${name} deleted (${revoked} app passwords revoked, policy and IdP identity removed)`);
    });
  account
    .command('rebind <address>')
    .description('forget the IdP identity the account is bound to: the next token sign-in binds it anew')
    .action(async (address: string) =>
      withState(openState, async (state) => {
        const name = await state.account(address);
        const old = state.bindings.unbind(name);
        console.log(
          old === undefined
            ? `${name} was bound to no IdP identity`
            : `${name} no longer bound to ${old.subject} of ${old.issuer}; the next token sign-in binds it`,
        );
      }),
    );
  account
    .command('apply-hash-upgrades')
    .description(
      'as root: put the Argon2id hashes the helper made at sign-in (PASSWORD_HASH_UPGRADE) into the accounts file (the hash-upgrades service runs it)',
    )
    .action(async () => {
      for (const line of await applyHashUpgrades(await accountsFile(), hashUpgradeQueue()))
        console.log(`idmail: ${line}`);
    });
  account
    .command('list')
    .description('list accounts')
    .action(async () => {
      for (const entry of (await (await accountsFile()).read()).accounts.values()) {
        const notes = [
          entry.passwordHash === undefined ? 'token-only' : 'password',
          ...(entry.disabled ? ['disabled'] : []),
          ...(entry.quota === undefined ? [] : [`quota ${entry.quota}`]),
        ];
        console.log(`${entry.address}\t${notes.join(',')}`);
      }
    });
}

export function aliasCommands(program: Command, accountsFile: SourceOf): void {
  const alias = program
    .command('alias')
    .description("manage aliases (ACCOUNTS_FILE, or docker-mailserver's postfix-virtual.cf)");
  alias
    .command('add <alias> <target>')
    .description('deliver mail for <alias> to <target> (repeat for several targets)')
    .action(async (aliasAddress: string, target: string) => {
      const [name, to] = [parseAddress(aliasAddress), parseAddress(target)];
      await edit(await accountsFile(), (data) => {
        const targets = data.aliases.get(name) ?? [];
        if (!targets.includes(to)) data.aliases.set(name, [...targets, to]);
      });
      console.log(`alias ${name} → ${to}`);
    });
  alias
    .command('del <alias> [target]')
    .description('remove one target of an alias, or the whole alias')
    .action(async (aliasAddress: string, target?: string) => {
      const name = parseAddress(aliasAddress);
      await edit(await accountsFile(), (data) => {
        const targets = data.aliases.get(name) ?? fail(`no alias ${name}`);
        const kept = target === undefined ? [] : targets.filter((entry) => entry !== parseAddress(target));
        if (kept.length > 0) data.aliases.set(name, kept);
        else data.aliases.delete(name);
      });
      console.log(`alias ${name} ${target === undefined ? 'deleted' : `no longer goes to ${target}`}`);
    });
  alias
    .command('list')
    .description('list aliases')
    .action(async () => {
      for (const [name, targets] of (await (await accountsFile()).read()).aliases)
        console.log(`${name}\t${targets.join(',')}`);
    });
}
