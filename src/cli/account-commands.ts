import type { Command } from 'commander';
import { parseAddress } from '../config/validators.ts';
import { type AccountsData, readAccountsFile, writeAccountsFile } from '../auth/accounts/accounts-file.ts';
import { hashPassword } from '../auth/passwords/password-hash.ts';
import { readNewPassword } from './password-input.ts';

type FilePath = () => string;

async function edit(path: string, change: (data: AccountsData) => void | Promise<void>): Promise<void> {
  const data = await readAccountsFile(path);
  await change(data);
  await writeAccountsFile(path, data);
}

function fail(message: string): never {
  throw new Error(message);
}

export function accountCommands(program: Command, accountsFile: FilePath): void {
  const account = program.command('account').description('manage mail accounts (ACCOUNTS_FILE)');
  account
    .command('add <address>')
    .description('create an account; asks for a password unless --no-password or --password-stdin')
    .option('--password-stdin', 'read the password from standard input')
    .option('--no-password', 'token-only account: signs in with OAuth2 only')
    .action(async (address: string, options: { password: boolean; passwordStdin?: boolean }) => {
      const name = parseAddress(address);
      const hash = options.password ? await hashPassword(await readNewPassword(options.passwordStdin === true)) : undefined;
      await edit(accountsFile(), (data) => {
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
      await edit(accountsFile(), (data) => {
        const existing = data.accounts.get(name) ?? fail(`no account ${name}`);
        existing.passwordHash = hash;
      });
      console.log(`password of ${name} changed`);
    });
  for (const [verb, disabled] of [['disable', true], ['enable', false]] as const) {
    account
      .command(`${verb} <address>`)
      .description(`${verb} sign-in and delivery for an account`)
      .action(async (address: string) => {
        const name = parseAddress(address);
        await edit(accountsFile(), (data) => {
          (data.accounts.get(name) ?? fail(`no account ${name}`)).disabled = disabled;
        });
        console.log(`account ${name} ${verb}d`);
      });
  }
  account
    .command('del <address>')
    .description('delete an account (its mail stays in /var/mail)')
    .action(async (address: string) => {
      const name = parseAddress(address);
      await edit(accountsFile(), (data) => void (data.accounts.delete(name) || fail(`no account ${name}`)));
      console.log(`account ${name} deleted`);
    });
  account
    .command('list')
    .description('list accounts')
    .action(async () => {
      for (const entry of (await readAccountsFile(accountsFile())).accounts.values()) {
        const notes = [entry.passwordHash === undefined ? 'token-only' : 'password', ...(entry.disabled ? ['disabled'] : [])];
        console.log(`${entry.address}\t${notes.join(',')}`);
      }
    });
}

export function aliasCommands(program: Command, accountsFile: FilePath): void {
  const alias = program.command('alias').description('manage aliases (ACCOUNTS_FILE)');
  alias
    .command('add <alias> <target>')
    .description('deliver mail for <alias> to <target> (repeat for several targets)')
    .action(async (aliasAddress: string, target: string) => {
      const [name, to] = [parseAddress(aliasAddress), parseAddress(target)];
      await edit(accountsFile(), (data) => {
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
      await edit(accountsFile(), (data) => {
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
      for (const [name, targets] of (await readAccountsFile(accountsFile())).aliases) console.log(`${name}\t${targets.join(',')}`);
    });
}
