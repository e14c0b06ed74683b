import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { MAIL_IMAGE } from '../support/images.ts';
import { eventually } from '../support/stack.ts';

const run = promisify(execFile);
const STOCK_ENV = new URL('../fixtures/docker-mailserver/mailserver.env', import.meta.url).pathname;

/** The appliance run with the docker CLI (and these options), healthy by its own HEALTHCHECK. */
async function startHealthy(name: string, ...options: string[]): Promise<void> {
  await run('docker', [
    'run',
    '-d',
    '--name',
    name,
    ...options,
    '-e',
    'OVERRIDE_HOSTNAME=mail.example.test',
    MAIL_IMAGE,
  ]);
  const health = () =>
    run('docker', ['inspect', '--format', '{{.State.Health.Status}}', name]).then(
      ({ stdout }) => stdout.trim(),
      () => '',
    );
  assert.equal(await eventually(health, (status) => status === 'healthy', 60_000), 'healthy');
}

/** A docker-mailserver user's start: its stock mailserver.env as the env file, a hostname added. */
describe("docker-mailserver's stock mailserver.env", () => {
  const name = `idmail-dms-env-${process.pid}`;
  after(() => run('docker', ['rm', '-f', name]).catch(() => undefined));

  it('starts healthy with only a hostname added, and says which of its settings it took how', async () => {
    await startHealthy(name, '--env-file', STOCK_ENV);
    const { stdout, stderr } = await run('docker', ['logs', name]);
    const log = stdout + stderr;
    assert.match(
      log,
      /idmail: warning: ENABLE_RSPAMD=0, but ENABLE_OPENDKIM=1, ENABLE_OPENDMARC=1, ENABLE_POLICYD_SPF=1, ENABLE_AMAVIS=1 ask for what rspamd does here: rspamd is on/,
    );
    assert.match(log, /idmail: notice: POSTGREY_AUTO_WHITELIST_CLIENTS: docker-mailserver's setting, accepted: /);
    assert.match(log, /idmail: notice: SSL_TYPE: unset, and the default differs: a self-signed certificate here/);
  });
});

/** `doveadm pw` of the image's own Dovecot, as docker-mailserver's `setup email add` makes its hashes (-O: no config yet). */
async function doveadmHash(scheme: string, password: string): Promise<string> {
  const { stdout } = await run('docker', [
    'run',
    '--rm',
    '--no-healthcheck',
    '--entrypoint',
    'doveadm',
    MAIL_IMAGE,
    '-O',
    'pw',
    '-s',
    scheme,
    '-p',
    password,
  ]);
  return stdout.trim();
}

/** IMAP LOGIN inside the container over STARTTLS, as docker-mailserver's docs check a password (with TLS here). */
const imapLogin = (name: string, user: string, password: string) =>
  run('docker', [
    'exec',
    name,
    'curl',
    '--silent',
    '--show-error',
    '--insecure',
    '--ssl-reqd',
    '--url',
    'imap://localhost:143',
    '--user',
    `${user}:${password}`,
    '--request',
    'LOGOUT',
  ]).then(
    () => 'ok',
    (error: { stderr: string }) => error.stderr.trim(),
  );

/** A container name and a config folder for one describe's appliance, removed after it. */
function dmsAppliance(kind: string): { name: string; folder: string } {
  const name = `idmail-dms-${kind}-${process.pid}`;
  after(() => run('docker', ['rm', '-f', name]).catch(() => undefined));
  return { name, folder: mkdtempSync(join(tmpdir(), `idmail-dms-${kind}-`)) };
}

/** alice's SHA512-CRYPT and bob's BLF-CRYPT hash, as `setup email add` in docker-mailserver writes them. */
const dmsHashes = async (): Promise<[string, string]> => [
  await doveadmHash('SHA512-CRYPT', 'alice secret'),
  await doveadmHash('BLF-CRYPT', 'bob secret'),
];

describe("docker-mailserver's config folder, mounted as it is", () => {
  const { name, folder } = dmsAppliance('folder');

  it("signs in with the SHA512-CRYPT and BLF-CRYPT passwords of postfix-accounts.cf, takes an edit without a restart, and docker-mailserver's setup edits it", async () => {
    const [alice, bob] = await dmsHashes();
    assert.match(alice, /^\{SHA512-CRYPT\}\$6\$/);
    assert.match(bob, /^\{BLF-CRYPT\}\$2y\$/);
    const accounts = join(folder, 'postfix-accounts.cf');
    writeFileSync(accounts, `alice@example.test|${alice}\nbob@example.test|${bob}\n`);
    writeFileSync(join(folder, 'postfix-virtual.cf'), 'team@example.test alice@example.test\n');
    writeFileSync(join(folder, 'dovecot-quotas.cf'), 'alice@example.test:5M\n');
    // Sieve files of the folder, for the next test: every mailbox's, and alice's own.
    writeFileSync(
      join(folder, 'before.dovecot.sieve'),
      'require ["fileinto", "mailbox"];\nif header :contains "subject" "for all" { fileinto :create "Everyone"; stop; }\n',
    );
    writeFileSync(
      join(folder, 'alice@example.test.dovecot.sieve'),
      'require ["fileinto", "mailbox"];\nif header :contains "subject" "for alice" { fileinto :create "Hers"; }\n',
    );
    chmodSync(folder, 0o755);
    await startHealthy(name, '-v', `${folder}:/tmp/docker-mailserver`);
    assert.equal(await imapLogin(name, 'alice@example.test', 'alice secret'), 'ok');
    assert.equal(await imapLogin(name, 'bob@example.test', 'bob secret'), 'ok');
    assert.match(await imapLogin(name, 'bob@example.test', 'alice secret'), /Login denied|denied/i);
    const quota = await run('docker', ['exec', name, 'doveadm', 'quota', 'get', '-u', 'alice@example.test']);
    assert.match(quota.stdout, /STORAGE\s+\d+\s+5120\b/);
    const { stdout: aliases } = await run('docker', [
      'exec',
      name,
      'sh',
      '-c',
      'postmap -q team@example.test "$(postconf -h virtual_alias_maps)"',
    ]);
    assert.equal(aliases.trim(), 'alice@example.test');
    writeFileSync(accounts, `alice@example.test|${alice}\nbob@example.test|${bob}\ncarol@example.test|${alice}\n`);
    assert.equal(
      await eventually(
        () => imapLogin(name, 'carol@example.test', 'alice secret'),
        (answer) => answer === 'ok',
        10_000,
      ),
      'ok',
    );
    const setup = (...args: string[]) =>
      run('docker', ['exec', name, 'setup', ...args]).then(
        ({ stdout }) => ({ code: 0, output: stdout }),
        (error: { code: number; stderr: string }) => ({ code: error.code, output: error.stderr }),
      );
    assert.equal((await setup('email', 'add', 'dave@example.test', 'dave secret 1')).code, 0);
    assert.equal((await setup('alias', 'add', 'team@example.test', 'dave@example.test')).code, 0);
    assert.match((await setup('email', 'list')).output, /^dave@example\.test\tpassword$/m);
    assert.match(
      (await setup('alias', 'list')).output,
      /^team@example\.test\talice@example\.test,dave@example\.test$/m,
    );
    assert.equal(
      await eventually(
        () => imapLogin(name, 'dave@example.test', 'dave secret 1'),
        (answer) => answer === 'ok',
        10_000,
      ),
      'ok',
    );
    const written = await run('docker', ['exec', name, 'cat', '/tmp/docker-mailserver/postfix-accounts.cf']);
    assert.match(written.stdout, /^dave@example\.test\|\{ARGON2ID\}\$argon2id\$/m);
    // alice's SHA512-CRYPT hash written back as it was
    assert.ok(written.stdout.split('\n').includes(`alice@example.test|${alice}`), written.stdout);
    const unmapped = await setup('fail2ban', 'ban', '192.0.2.1');
    assert.deepEqual(
      [unmapped.code, /setup: "fail2ban ban 192\.0\.2\.1" is not mapped here/.test(unmapped.output)],
      [2, true],
    );
  });

  it("runs before.dovecot.sieve for every mailbox and <address>.dovecot.sieve as that mailbox's own", async () => {
    const deliver = (to: string, subject: string) =>
      run('docker', ['exec', name, 'sh', '-c', `printf "Subject: ${subject}\\n\\nhello\\n" | sendmail ${to}`]);
    const messagesIn = (user: string, mailbox: string) => () =>
      run('docker', ['exec', name, 'doveadm', 'mailbox', 'status', '-u', user, 'messages', mailbox]).then(
        ({ stdout }) => stdout.trim(),
        () => 'none',
      );
    await deliver('alice@example.test', 'for alice');
    await deliver('bob@example.test', 'for all of us');
    await deliver('bob@example.test', 'for alice');
    const seen = (text: string) => text.endsWith(' messages=1');
    assert.equal(await eventually(messagesIn('alice@example.test', 'Hers'), seen, 30_000), 'Hers messages=1');
    assert.equal(await eventually(messagesIn('bob@example.test', 'Everyone'), seen, 30_000), 'Everyone messages=1');
    // alice's script is hers alone: bob's "for alice" stays in his inbox.
    assert.equal(await eventually(messagesIn('bob@example.test', 'INBOX'), seen, 30_000), 'INBOX messages=1');
    assert.equal(await messagesIn('bob@example.test', 'Hers')(), 'none');
    const { stdout: log } = await run('docker', ['logs', name]);
    assert.match(log, /idmail: docker-mailserver Sieve: 1 mailbox script\(s\) made active/);
  });

  it('takes up a DKIM key put into the folder while it runs, as rspamd wrote it there (setup config dkim)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const dkim = join(folder, 'rspamd', 'dkim');
    mkdirSync(dkim, { recursive: true });
    writeFileSync(
      join(dkim, 'rsa-2048-dms-example.test.private.txt'),
      privateKey.export({ type: 'pkcs1', format: 'pem' }),
    );
    const published = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const shown = () =>
      run('docker', ['exec', name, 'idmail', 'dkim', 'show', 'example.test']).then(({ stdout }) => stdout);
    const records = await eventually(shown, (text) => text.includes('dms._domainkey.example.test.'), 30_000);
    assert.match(records, /^dms\._domainkey\.example\.test\. IN TXT "v=DKIM1; k=rsa; p=/m);
    assert.equal(records.replace(/"\s*"/g, '').includes(published), true, records);
    // …and it is the one that signs: rspamd's map names it.
    const { stdout: selectors } = await run('docker', ['exec', name, 'cat', '/var/mail-state/dkim/selectors.map']);
    assert.match(selectors, /^example\.test dms$/m);
    const { stdout: log } = await run('docker', ['logs', name]);
    assert.match(log, /idmail: config folder: applied \(.*using the DKIM key dms for example\.test/);
  });
});

describe('password hashes upgraded to Argon2id at the next sign-in (PASSWORD_HASH_UPGRADE=1)', () => {
  const { name, folder } = dmsAppliance('upgrade');

  it('replaces the SHA512-CRYPT hash of postfix-accounts.cf once its password signed in, and only then', async () => {
    const [alice, bob] = await dmsHashes();
    const accounts = join(folder, 'postfix-accounts.cf');
    writeFileSync(accounts, `alice@example.test|${alice}\nbob@example.test|${bob}\n`);
    chmodSync(folder, 0o755);
    await startHealthy(name, '-v', `${folder}:/tmp/docker-mailserver`, '-e', 'PASSWORD_HASH_UPGRADE=1');
    const hashes = () =>
      run('docker', ['exec', name, 'cat', '/tmp/docker-mailserver/postfix-accounts.cf']).then(({ stdout }) => stdout);
    assert.equal(await imapLogin(name, 'alice@example.test', 'alice secret'), 'ok');
    assert.match(await imapLogin(name, 'bob@example.test', 'not bob'), /denied/i);
    const upgraded = await eventually(hashes, (text) => /^alice@example\.test\|\{ARGON2ID\}/m.test(text), 30_000);
    assert.match(upgraded, /^alice@example\.test\|\{ARGON2ID\}\$argon2id\$v=19\$/m);
    // bob's password did not sign in: his hash stays as it was.
    assert.ok(upgraded.split('\n').includes(`bob@example.test|${bob}`), upgraded);
    // The new hash is the same password: alice signs in with it, through Dovecot's own reading of the file too.
    assert.equal(
      await eventually(
        () => imapLogin(name, 'alice@example.test', 'alice secret'),
        (answer) => answer === 'ok',
        10_000,
      ),
      'ok',
    );
    const { stdout: verified } = await run('docker', [
      'exec',
      name,
      'sh',
      '-c',
      `doveadm pw -t "$(grep '^alice@' /tmp/docker-mailserver/postfix-accounts.cf | cut -d '|' -f 2)" -p 'alice secret'`,
    ]);
    assert.match(verified, /verified/);
    const { stdout: log } = await run('docker', ['logs', name]);
    assert.match(log, /idmail: password hash of alice@example\.test upgraded to Argon2id/);
    assert.doesNotMatch(log, /alice secret/);
  });
});

/** A DMS user's vmail ids other than the default (DMS_VMAIL_UID, DMS_VMAIL_GID): the volume's files carry them. */
const VMAIL_IDS = '1000';

/** A mail volume as docker-mailserver leaves it: alice's Maildir at /var/mail/example.test/alice, her Sieve script in home/. */

async function dmsMailVolume(): Promise<string> {
  const volume = mkdtempSync(join(tmpdir(), 'idmail-dms-mail-'));
  const mailbox = join(volume, 'example.test', 'alice');
  const files: Record<string, string> = {
    'cur/1700000000.M1P1.mail:2,S': 'From: bob@example.test\r\nSubject: old, read\r\n\r\nkept\r\n',
    'new/1700000001.M2P1.mail': 'From: bob@example.test\r\nSubject: old, new\r\n\r\nkept\r\n',
    '.Sent/cur/1700000002.M3P1.mail:2,S': 'From: alice@example.test\r\nSubject: sent\r\n\r\nkept\r\n',
    '.Sent/maildirfolder': '',
    'tmp/.keep': '',
    subscriptions: 'Sent\n',
    'home/sieve/rules.sieve': 'require "fileinto";\nif header :contains "subject" "file me" { fileinto "Sent"; }\n',
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(mailbox, path, '..'), { recursive: true });
    writeFileSync(join(mailbox, path), text);
  }
  symlinkSync('sieve/rules.sieve', join(mailbox, 'home/.dovecot.sieve'));
  await run('chown', ['-R', `${VMAIL_IDS}:${VMAIL_IDS}`, volume]); // vmail's, as DMS_VMAIL_UID/GID set it
  return volume;
}

describe("docker-mailserver's mail volume", () => {
  const name = `idmail-dms-volume-${process.pid}`;
  const remove = () => run('docker', ['rm', '-f', name]).catch(() => undefined);
  after(remove);

  it('stops the start until migrated; then the old messages and the Sieve script are there, vmail with DMS_VMAIL_UID/GID', async () => {
    const volume = await dmsMailVolume();
    const folder = mkdtempSync(join(tmpdir(), 'idmail-dms-folder-'));
    chmodSync(folder, 0o755);
    writeFileSync(
      join(folder, 'postfix-accounts.cf'),
      `alice@example.test|${await doveadmHash('SHA512-CRYPT', 'alice secret')}\n`,
    );
    const mounts = [
      ...['-v', `${volume}:/var/mail`, '-v', `${folder}:/tmp/docker-mailserver`],
      ...['-e', `DMS_VMAIL_UID=${VMAIL_IDS}`, '-e', `DMS_VMAIL_GID=${VMAIL_IDS}`],
    ];
    /** The container run to its end (the entrypoint's start, or an idmail command): its exit code and log. */
    const runToEnd = async (...command: string[]) => {
      const options = [...mounts, '-e', 'OVERRIDE_HOSTNAME=mail.example.test'];
      await run('docker', ['run', '-d', '--name', name, ...options, MAIL_IMAGE, ...command]);
      await run('docker', ['wait', name]);
      const { stdout: exitCode } = await run('docker', ['inspect', '--format', '{{.State.ExitCode}}', name]);
      const { stdout, stderr } = await run('docker', ['logs', name]);
      await remove();
      return { exitCode: Number(exitCode.trim()), log: stdout + stderr };
    };
    const refused = await runToEnd();
    assert.notEqual(refused.exitCode, 0);
    assert.match(
      refused.log,
      /holds 1 mailbox\(es\) in docker-mailserver's layout \(first: \/var\/mail\/example\.test\/alice\).*migrate docker-mailserver/,
    );
    const migrated = await runToEnd('migrate', 'docker-mailserver');
    assert.equal(migrated.exitCode, 0, migrated.log);
    assert.match(migrated.log, /idmail: 1 mailbox\(es\) moved; \/var\/mail is in idmail's layout/);
    await startHealthy(name, ...mounts);
    const { stdout: ids } = await run('docker', ['exec', name, 'id', 'vmail']);
    assert.match(ids, new RegExp(`^uid=${VMAIL_IDS}\\(vmail\\) gid=${VMAIL_IDS}\\(vmail\\)`));
    const status = () =>
      run('docker', [
        'exec',
        name,
        'doveadm',
        'mailbox',
        'status',
        '-u',
        'alice@example.test',
        'messages',
        'INBOX',
        'Sent',
      ]).then(({ stdout }) => stdout.trim().split('\n').sort().join('\n'));
    assert.equal(await status(), 'INBOX messages=2\nSent messages=1');
    assert.equal(await imapLogin(name, 'alice@example.test', 'alice secret'), 'ok');
    await run('docker', [
      'exec',
      name,
      'sh',
      '-c',
      'printf "Subject: file me\\n\\nby her Sieve script\\n" | sendmail alice@example.test',
    ]);
    // Delivered by Dovecot as vmail into the volume's own folders: they are DMS_VMAIL_UID's.
    assert.equal(
      await eventually(status, (answer) => answer.endsWith('Sent messages=2'), 30_000),
      'INBOX messages=2\nSent messages=2',
    );
  });
});
