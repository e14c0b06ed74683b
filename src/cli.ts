#!/usr/bin/env node
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { ConfigError, loadSettings, type Settings } from './config/settings.ts';
import { accountCommands, aliasCommands } from './cli/account-commands.ts';
import { appPasswordCommands } from './cli/app-password-commands.ts';
import { policyCommands } from './cli/policy-commands.ts';
import { provisionedCommands } from './cli/provisioned-commands.ts';
import { checkHealth } from './cli/health.ts';

// The daemons' modules load only for the commands that run them: `idmail health` runs every few
// seconds and should not pay for fastify, jose and the renderers.

let settings: Settings | undefined;
const currentSettings = (): Settings => (settings ??= loadSettings());

const program = new Command('idmail').description('idmail: mail server appliance signing users in with their IdP');

program
  .command('start')
  .description('render configs and run Dovecot, Postfix and the helper (the container entrypoint)')
  .action(async () => {
    const { supervise } = await import('./supervisor/supervisor.ts');
    const { resolveFileVariables } = await import('./config/environment.ts');
    await supervise(currentSettings(), [process.execPath, fileURLToPath(import.meta.url), 'serve'], resolveFileVariables(process.env).env);
  });

program
  .command('serve')
  .description('run the lookup helper only (started by "idmail start")')
  .action(async () => {
    const { startHelper } = await import('./helper.ts');
    const helper = await startHelper(currentSettings());
    process.once('SIGTERM', () => void helper.close());
  });

const config = program.command('config').description('inspect the configuration');
config
  .command('check')
  .description('validate the environment and report every problem')
  .action(() => {
    for (const warning of currentSettings().warnings) console.warn(`warning: ${warning}`);
    console.log('configuration is valid');
  });
config
  .command('render')
  .description('render Dovecot and Postfix configs without starting anything')
  .option('--out <dir>', 'write the files under this directory (their paths kept)')
  .action(async (options: { out?: string }) => {
    const { renderAll, writeRendered } = await import('./render/render-all.ts');
    const files = await renderAll(currentSettings());
    if (options.out !== undefined) {
      for (const path of await writeRendered(files, options.out)) console.log(path);
    } else {
      for (const file of files) console.log(`### ${file.path}\n${file.content}`);
    }
  });

/** The accounts file the account and alias commands edit; with LDAP there is none to edit. */
function accountsFile(): string {
  const { ldap, accountsFile: path } = currentSettings();
  if (ldap !== undefined) throw new Error('accounts come from LDAP (ACCOUNT_PROVISIONER=LDAP): change them in the directory');
  return path;
}

const openState = async () => (await import('./cli/state-access.ts')).openStateAccess(currentSettings());
accountCommands(program, accountsFile, openState);
aliasCommands(program, accountsFile);

appPasswordCommands(program, openState);
policyCommands(program, openState);
provisionedCommands(program, openState);

program
  .command('health')
  .description('exit 0 when the helper, Dovecot and Postfix all answer (the HEALTHCHECK)')
  .action(async () => {
    const { helper, paths } = currentSettings();
    const status = await checkHealth(helper.url, paths.postfixQueue);
    const failing = Object.entries(status).filter(([, ok]) => !ok).map(([name]) => name);
    if (failing.length > 0) {
      console.error(`unhealthy: ${failing.join(', ')} not answering`);
      process.exitCode = 1;
    }
  });

try {
  await program.parseAsync();
} catch (error) {
  console.error(error instanceof ConfigError ? `idmail: ${error.message}` : `idmail: ${(error as Error).message}`);
  process.exitCode = error instanceof ConfigError ? 78 : 1;
}
