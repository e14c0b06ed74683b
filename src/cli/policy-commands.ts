import type { Command } from 'commander';
import { parseChoiceList } from '../config/validators.ts';
import { SIGN_IN_METHODS, SIGN_IN_PROTOCOLS, type SignInPolicy } from '../vocabulary/sign-in.ts';
import { type OpenState, withState } from './with-state.ts';

const policyText = (policy: SignInPolicy) =>
  `methods ${policy.methods.join(',')}; protocols ${policy.protocols.join(',')}`;

export function policyCommands(program: Command, open: OpenState): void {
  const command = program
    .command('policy')
    .description('how an account may sign in (overrides AUTH_METHODS and AUTH_PROTOCOLS)');
  command.command('show <user>').action(async (user: string) =>
    withState(open, async (state) => {
      const account = await state.account(user);
      console.log(`${account}: ${policyText(state.policies.for(account))}`);
    }),
  );
  command
    .command('set <user>')
    .option('--methods <list>', `any of ${SIGN_IN_METHODS.join(', ')}`)
    .option('--protocols <list>', `any of ${SIGN_IN_PROTOCOLS.join(', ')}`)
    .action(async (user: string, options: { methods?: string; protocols?: string }) => {
      if (options.methods === undefined && options.protocols === undefined)
        throw new Error('give --methods, --protocols or both');
      const override: Partial<SignInPolicy> = {
        ...(options.methods !== undefined && { methods: parseChoiceList(options.methods, SIGN_IN_METHODS) }),
        ...(options.protocols !== undefined && { protocols: parseChoiceList(options.protocols, SIGN_IN_PROTOCOLS) }),
      };
      await withState(open, async (state) => {
        const account = await state.account(user);
        state.policies.set(account, override);
        console.log(`${account}: ${policyText(state.policies.for(account))}`);
      });
    });
  command
    .command('reset <user>')
    .description('back to AUTH_METHODS and AUTH_PROTOCOLS')
    .action(async (user: string) =>
      withState(open, async (state) => {
        const account = await state.account(user);
        state.policies.clear(account);
        console.log(`${account}: ${policyText(state.policies.for(account))}`);
      }),
    );
}
