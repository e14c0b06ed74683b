import type { Command } from 'commander';
import type { ProvisionedAccount } from '../auth/provisioning/provisioned-accounts.ts';
import { type OpenState, withState } from './with-state.ts';

/** active, disabled, or deleted (with when: the mail is purged PROVISIONING_PURGE_AFTER later). */
function stateOf(account: ProvisionedAccount): string {
  if (account.deletedAt !== undefined) return `deleted:${account.deletedAt.toISOString()}`;
  return account.disabled ? 'disabled' : 'active';
}

export function provisionedCommands(program: Command, open: OpenState): void {
  const command = program.command('provisioned').description('accounts the IdP created (OAUTH2_PROVISIONING)');
  command
    .command('list')
    .description('address, how it was made, template, quota, state')
    .action(async () =>
      withState(open, async (state) => {
        for (const account of state.provisioned.list()) {
          const fields = [
            account.address,
            account.source,
            account.template,
            account.quota ?? 'unlimited',
            stateOf(account),
            account.createdAt.toISOString(),
          ];
          console.log(fields.join('\t'));
        }
      }),
    );
  command
    .command('purge')
    .description(
      'purge deleted accounts whose grace period (PROVISIONING_PURGE_AFTER) is over, with their mail (run by "idmail start")',
    )
    .action(async () =>
      withState(open, async (state) => {
        if (state.purger === undefined)
          throw new Error('provisioning is off (OAUTH2_PROVISIONING, SCIM_TOKEN): nothing is purged');
        await state.purger.purgeDue();
      }),
    );
}
