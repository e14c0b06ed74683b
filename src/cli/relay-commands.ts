import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DMS_RELAY_MAP, DMS_RELAY_PASSWORDS } from '../config/environment.ts';
import { parseRelayCredentials, parseRelayMap, parseRelayUser } from '../config/relay-settings.ts';
import { ConfigError, loadSettings, type Settings } from '../config/settings.ts';
import { parseDomain } from '../vocabulary/address.ts';
import { exists } from '../vocabulary/file-exists.ts';
import { readNewPassword } from './password-input.ts';

/** docker-mailserver's relay tables in its config folder, as `setup relay` edits them. */
const TABLES = {
  relays: { file: DMS_RELAY_MAP, variable: 'RELAY_MAP', mode: 0o644, check: parseRelayMap },
  credentials: { file: DMS_RELAY_PASSWORDS, variable: 'RELAY_CREDENTIALS', mode: 0o600, check: parseRelayCredentials },
} as const;

/** The environment as the next start reads it (the config folder's tables included). */
type Environment = () => Record<string, string>;

/**
 * The table with `line` in place of any for the same key (comments and other lines kept), checked as the
 * next start reads it (with every other setting: a table that would stop the start is not written), then
 * replaced at once. Its mode is set before a password goes in.
 */
async function setLine(
  settings: Settings,
  environment: Environment,
  table: keyof typeof TABLES,
  line: string,
): Promise<string> {
  const { file, variable, mode, check } = TABLES[table];
  const key = line.split(' ')[0] ?? '';
  const path = join(settings.paths.dmsConfigFolder, file);
  const old = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  const kept = old.split('\n').filter((text) => text !== '' && text.trim().split(/\s+/)[0] !== key);
  const text = [...kept, line].map((entry) => `${entry}\n`).join('');
  try {
    check(text);
    loadSettings({ ...environment(), [variable]: text });
  } catch (error) {
    const problems = error instanceof ConfigError ? error.problems.join('; ') : (error as Error).message;
    throw new Error(`${path}: not written: ${problems}`);
  }
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode });
  await rename(temporary, path);
  return path;
}

/** Checked before the line is made: a colon would move the rest of the name into the password unseen. */
function relayUserName(user: string): string {
  try {
    return parseRelayUser(user);
  } catch (error) {
    throw new Error(`the user ${(error as Error).message}`);
  }
}

/** The config-folder service applies an edit within DMS_CONFIG_POLL seconds; without it (no folder at start), the next start does. */
async function appliedNote(settings: Settings, path: string): Promise<void> {
  const watched = await exists(`${settings.paths.services}/config-folder`);
  console.log(
    watched
      ? `${path} written; it applies within ${settings.configFolderPollSeconds} s, without a restart`
      : `${path} written; it applies at the next start (docker compose restart)`,
  );
}

export function relayCommands(program: Command, currentSettings: () => Settings, environment: Environment): void {
  const command = program
    .command('relay')
    .description("docker-mailserver's relay tables in its config folder (what `setup relay` edits)");
  command
    .command('add-domain <domain> <host> [port]')
    .description("send the domain's mail through the relay host (postfix-relaymap.cf; port 25 by default)")
    .action(async (domain: string, host: string, port = '25') => {
      const key = `@${parseDomain(domain)}`;
      await appliedNote(
        currentSettings(),
        await setLine(currentSettings(), environment, 'relays', `${key} [${host}]:${port}`),
      );
    });
  command
    .command('exclude-domain <domain>')
    .description("send the domain's mail directly, not through RELAY_HOST (postfix-relaymap.cf)")
    .action(async (domain: string) => {
      await appliedNote(
        currentSettings(),
        await setLine(currentSettings(), environment, 'relays', `@${parseDomain(domain)}`),
      );
    });
  command
    .command('add-auth <domain> <user>')
    .description("sign in at the domain's relay as this user (postfix-sasl-password.cf, root's alone)")
    .option('--password-stdin', 'read the password from the first line of standard input')
    .action(async (domain: string, user: string, options: { passwordStdin?: boolean }) => {
      const key = `@${parseDomain(domain)}`;
      const name = relayUserName(user);
      const password = await readNewPassword(options.passwordStdin === true);
      await appliedNote(
        currentSettings(),
        await setLine(currentSettings(), environment, 'credentials', `${key} ${name}:${password}`),
      );
    });
}
