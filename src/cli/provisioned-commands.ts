import type { Command } from 'commander';
import { type OpenState, withState } from './with-state.ts';

export function provisionedCommands(program: Command, open: OpenState): void {
  const command = program.command('provisioned').description('accounts the IdP created (OAUTH2_PROVISIONING)');
  command
    .command('list')
    .description('address, how it was made, template, quota, state')
    .action(async () =>
      withState(open, async (state) => {
        for (const account of state.provisioned.list()) {
          const fields = [account.address, account.source, account.template, account.quota ?? 'unlimited', account.disabled ? 'disabled' : 'active', account.createdAt.toISOString()];
          console.log(fields.join('\t'));
        }
      }),
    );
}
