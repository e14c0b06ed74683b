import type { Command } from 'commander';
import type { AppPassword } from '../auth/app-passwords/app-password-store.ts';
import { parseChoiceList } from '../config/validators.ts';
import { SIGN_IN_PROTOCOLS } from '../vocabulary/sign-in.ts';
import { type OpenState, withState } from './with-state.ts';

/** "90d" (days from now) or a date (2027-06-30); always in the future. */
export function parseExpiry(value: string, now = new Date()): Date {
  const days = /^(\d{1,5})d$/.exec(value.trim());
  const when = days ? new Date(now.getTime() + Number(days[1]) * 86_400_000) : new Date(value);
  if (Number.isNaN(when.getTime()))
    throw new Error(`--expires "${value}" is not a date; allowed: days like 90d, or a date like 2027-06-30`);
  if (when <= now) throw new Error(`--expires "${value}" is not in the future`);
  return when;
}

const day = (date: Date | undefined) => date?.toISOString().replace('T', ' ').slice(0, 16) ?? '-';

function describe(appPassword: AppPassword): string {
  const used = appPassword.lastUsedAt
    ? `${day(appPassword.lastUsedAt)} from ${appPassword.lastUsedIp ?? '?'}`
    : 'never';
  return `${appPassword.id}  ${appPassword.name}  ${appPassword.protocols.join(',')}  created ${day(appPassword.createdAt)}  expires ${day(appPassword.expiresAt)}  last used ${used}`;
}

export function appPasswordCommands(program: Command, open: OpenState): void {
  const command = program.command('app-password').description('app passwords for mail clients that cannot do OAuth2');
  command
    .command('create <user>')
    .description('make an app password; it is shown once')
    .requiredOption('--name <name>', 'what it is for, e.g. "Thunderbird on laptop"')
    .option('--protocols <list>', `where it works: any of ${SIGN_IN_PROTOCOLS.join(', ')}`, SIGN_IN_PROTOCOLS.join(','))
    .option('--expires <when>', 'days (90d) or a date (2027-06-30); default: never')
    .action(async (user: string, options: { name: string; protocols: string; expires?: string }) => {
      const protocols = parseChoiceList(options.protocols, SIGN_IN_PROTOCOLS);
      const expiresAt = options.expires === undefined ? undefined : parseExpiry(options.expires);
      const name = options.name.trim();
      if (name === '' || name.length > 100) throw new Error('--name must have 1 to 100 characters');
      await withState(open, async (state) => {
        const { appPassword, password } = state.appPasswords.create(await state.account(user), {
          name,
          protocols,
          expiresAt,
          madeBy: 'admin',
        });
        console.log(
          `app password ${appPassword.id} for ${appPassword.account} (${protocols.join(', ')}); shown only now:\n${password}`,
        );
      });
    });
  command
    .command('list <user>')
    .description("an account's app passwords (never the passwords themselves)")
    .action(async (user: string) =>
      withState(open, async (state) => {
        const list = state.appPasswords.list(await state.account(user));
        console.log(list.length === 0 ? 'no app passwords' : list.map(describe).join('\n'));
      }),
    );
  command
    .command('revoke <user> <id>')
    .description('revoke an app password; sign-ins with it fail from now on')
    .action(async (user: string, id: string) =>
      withState(open, async (state) => {
        const account = await state.account(user);
        if (!state.appPasswords.revoke(account, id)) throw new Error(`${account} has no app password ${id}`);
        console.log(`app password ${id} of ${account} revoked`);
      }),
    );
}
