import { closeSync, readFileSync, writeSync } from 'node:fs';
import { Command } from 'commander';
import { environmentFromJson, resolveFileVariables } from '../config/environment.ts';
import { ConfigError, loadSettings, PATHS, type Settings } from '../config/settings.ts';
import { accountCommands, aliasCommands } from './account-commands.ts';
import { appPasswordCommands } from './app-password-commands.ts';
import { certificateCommands } from './certificate-commands.ts';
import { dkimCommands } from './dkim-commands.ts';
import { runHealth } from './health.ts';
import { policyCommands } from './policy-commands.ts';
import { provisionedCommands } from './provisioned-commands.ts';
import { relayCommands } from './relay-commands.ts';

// The daemons' modules load only for the commands that run them (fastify, jose, the renderers).

const program = new Command('idmail')
  .description('idmail: mail server appliance signing users in with their IdP')
  .option(
    '--environment-from-stdin',
    'read the environment `idmail prepare` resolved from standard input (the helper and the purger)',
  );

let settings: Settings | undefined;
const currentSettings = (): Settings =>
  (settings ??= loadSettings(program.opts().environmentFromStdin ? handedEnvironment() : process.env));

function handedEnvironment(): Record<string, string> {
  return environmentFromJson(readFileSync(0, 'utf8'));
}

program
  .command('prepare')
  .description(
    'as root, before the daemons: check the settings, make the certificate, configs and service tree (the entrypoint runs it)',
  )
  .action(async () => {
    const { prepare } = await import('../startup/prepare.ts');
    await prepare(currentSettings(), process.env);
  });

program
  .command('serve')
  .description('run the helper Dovecot and Postfix ask (s6 starts it)')
  .option('--ready-fd <fd>', 'write a line to this file descriptor once listening (s6 readiness notification)', Number)
  .action(async (options: { readyFd?: number }) => {
    const { startHelper } = await import('../helper.ts');
    // Taken before the start (SIGHUP's default would end the process); one that comes while it starts is
    // answered once it has, as its files may have been read just before they were replaced.
    let reload: (() => Promise<void>) | undefined;
    let reloadWhenStarted = false;
    process.on('SIGHUP', () => {
      if (reload === undefined) reloadWhenStarted = true;
      else void reload();
    });
    const helper = await startHelper(currentSettings());
    reload = helper.reload;
    if (reloadWhenStarted) void reload();
    process.once('SIGTERM', () => void helper.close());
    if (options.readyFd !== undefined) {
      writeSync(options.readyFd, '\n');
      closeSync(options.readyFd);
    }
  });

const config = program.command('config').description('inspect the configuration');
config
  .command('check')
  .description('validate the environment and the certificate, and report every problem')
  .action(async () => {
    const { certificateReport } = await import('../certificates/certificate-install.ts');
    const certificates = await certificateReport(currentSettings());
    for (const warning of [...currentSettings().warnings, ...certificates.warnings])
      console.warn(`warning: ${warning}`);
    for (const notice of currentSettings().notices) console.log(`notice: ${notice}`);
    if (certificates.problems.length > 0) throw new ConfigError(certificates.problems);
    console.log('configuration is valid');
  });
config
  .command('render')
  .description('render Dovecot and Postfix configs without starting anything')
  .option('--out <dir>', 'write the files under this directory (their paths kept)')
  .action(async (options: { out?: string }) => {
    const { renderAll, writeRendered } = await import('../render/render-all.ts');
    const files = await renderAll(currentSettings());
    if (options.out !== undefined) {
      for (const path of await writeRendered(files, options.out)) console.log(path);
    } else {
      for (const file of files) console.log(`### ${file.path}\n${file.content}`);
    }
  });

/** What the account and alias commands edit: the accounts file or docker-mailserver's folder; with LDAP, nothing. */
async function accountsFile() {
  const settings = currentSettings();
  if (settings.ldap !== undefined)
    throw new Error('accounts come from LDAP (ACCOUNT_PROVISIONER=LDAP): change them in the directory');
  const { accountsSource } = await import('../auth/accounts/accounts-source.ts');
  return accountsSource(settings);
}

const openState = async () => (await import('./state-access.ts')).openStateAccess(currentSettings());
accountCommands(program, accountsFile, openState, () => currentSettings().paths.hashUpgradeQueue);
aliasCommands(program, accountsFile);

appPasswordCommands(program, openState);
policyCommands(program, openState);
provisionedCommands(program, openState);
dkimCommands(program, currentSettings);
relayCommands(program, currentSettings, () => resolveFileVariables(process.env).env);
certificateCommands(program, currentSettings);

/** The exit code of a sync whose folder a start would refuse: the config-folder service then waits for it to change. */
const CONFIG_FOLDER_REFUSED = 3;

program
  .command('config-folder')
  .description("docker-mailserver's config folder")
  .command('sync')
  .description(
    `as root: read the relay tables and DKIM keys of the config folder again and apply them without a restart (the config-folder service runs it when they change; exit ${CONFIG_FOLDER_REFUSED}: the folder as it is would stop a start, what is in service stays)`,
  )
  .action(async () => {
    const { syncConfigFolder } = await import('../startup/config-folder-sync.ts');
    if ((await syncConfigFolder(PATHS.containerEnvironment)) === 'refused') process.exitCode = CONFIG_FOLDER_REFUSED;
  });

program
  .command('migrate')
  .description('bring data from another mail server')
  .command('docker-mailserver')
  .description(
    "as root, once: move the mailboxes of docker-mailserver's layout in /var/mail into idmail's, in place (run it again after an interruption)",
  )
  .action(async () => {
    const { migrateDmsMailboxes } = await import('../migrate/dms-mailboxes.ts');
    await migrateDmsMailboxes(currentSettings().paths.mail, (line) => console.log(`idmail: ${line}`));
  });

program
  .command('health')
  .description('exit 0 when the helper, Dovecot, Postfix and rspamd all answer (the HEALTHCHECK)')
  .action(() => runHealth(currentSettings()));

export async function runCommands(): Promise<void> {
  await program.parseAsync();
}
