import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it, mock } from 'node:test';
import { Command } from 'commander';
import { relayCommands } from '../../../src/cli/relay-commands.ts';
import { loadSettings, type Settings } from '../../../src/config/settings.ts';

const ENVIRONMENT = { OVERRIDE_HOSTNAME: 'mail.example.org', RELAY_HOST: 'smtp.example.com' };

/**
 * `idmail relay …` on a config folder of its own (a password on standard input), the next start's environment
 * `ENVIRONMENT` and `tables`; what it printed, or its error.
 */
async function idmailRelay(
  folder: string,
  tables: Record<string, string>,
  stdin: string,
  ...args: string[]
): Promise<string> {
  const loaded = loadSettings(ENVIRONMENT);
  const settings = { ...loaded, paths: { ...loaded.paths, dmsConfigFolder: folder } } as Settings;
  const program = new Command('idmail').exitOverride();
  relayCommands(
    program,
    () => settings,
    () => ({ ...ENVIRONMENT, ...tables }),
  );
  const printed: string[] = [];
  const log = mock.method(console, 'log', (line: string) => void printed.push(line));
  // process.stdin is a getter: replaced by a value for the command, then put back.
  const stdinDescriptor = Object.getOwnPropertyDescriptor(process, 'stdin') as PropertyDescriptor;
  Object.defineProperty(process, 'stdin', { value: Readable.from([stdin]), configurable: true });
  try {
    await program.parseAsync(['relay', ...args], { from: 'user' });
    return printed.join('\n');
  } finally {
    log.mock.restore();
    Object.defineProperty(process, 'stdin', stdinDescriptor);
  }
}

describe("idmail relay (docker-mailserver's setup relay)", () => {
  it('writes postfix-relaymap.cf as setup relay add-domain and exclude-domain do, replacing a domain’s line, keeping the rest', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'idmail-relay-cli-'));
    writeFileSync(
      join(folder, 'postfix-relaymap.cf'),
      '# ours\n@example.net [old.example.net]:25\n@example.edu [smtp.example.edu]:587\n',
    );
    const printed = await idmailRelay(folder, {}, '', 'add-domain', 'Example.net', 'smtp.example.net', '2525');
    assert.match(printed, /postfix-relaymap\.cf written; it applies at the next start/);
    await idmailRelay(folder, {}, '', 'exclude-domain', 'example.org');
    assert.equal(
      readFileSync(join(folder, 'postfix-relaymap.cf'), 'utf8'),
      '# ours\n@example.edu [smtp.example.edu]:587\n@example.net [smtp.example.net]:2525\n@example.org\n',
    );
    await assert.rejects(
      idmailRelay(folder, {}, '', 'add-domain', 'example.com', 'bad host'),
      /postfix-relaymap\.cf: not written: "@example\.com \[bad host\]:25" has more than a sender and a relay/,
    );
  });

  it('writes postfix-sasl-password.cf as setup relay add-auth does, root’s alone, the password never shown', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'idmail-relay-cli-'));
    await idmailRelay(folder, {}, 'api-secret-1\n', 'add-auth', 'example.net', 'apikey', '--password-stdin');
    const path = join(folder, 'postfix-sasl-password.cf');
    assert.equal(readFileSync(path, 'utf8'), '@example.net apikey:api-secret-1\n');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const refused = await idmailRelay(
      folder,
      {},
      'api-secret-2\n',
      'add-auth',
      'example.net',
      'api:key',
      '--password-stdin',
    ).then(
      () => '',
      (error: Error) => error.message,
    );
    assert.match(refused, /^the user is not a user name; allowed: .*without spaces, colons/);
    assert.doesNotMatch(refused, /api-secret/);
    assert.equal(readFileSync(path, 'utf8'), '@example.net apikey:api-secret-1\n');
    // A table the next start would refuse is not written: example.org's mail goes out directly.
    const direct = await idmailRelay(
      folder,
      { RELAY_MAP: '@example.org' },
      'api-secret-3\n',
      'add-auth',
      'example.org',
      'u',
      '--password-stdin',
    ).then(
      () => '',
      (error: Error) => error.message,
    );
    assert.match(
      direct,
      /postfix-sasl-password\.cf: not written: RELAY_CREDENTIALS: @example\.org's mail is sent directly/,
    );
    assert.doesNotMatch(direct, /api-secret/);
    assert.equal(readFileSync(path, 'utf8'), '@example.net apikey:api-secret-1\n');
  });
});
