import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadSettings, type Settings } from '../../../src/config/settings.ts';
import { assembleServiceTree } from '../../../src/startup/service-tree.ts';

const SERVICES = new URL('../../../rootfs/usr/share/idmail/services/', import.meta.url);
const RUN_SCRIPT = readFileSync(new URL('certificates/run', SERVICES), 'utf8');

/** The image's service tree assembled into a scratch directory for this environment. */
async function assembled(env: Record<string, string>, dmsConfigFolder = '/nonexistent'): Promise<string> {
  const directory = mkdtempSync(join(tmpdir(), 'idmail-services-'));
  const loaded = loadSettings({ OVERRIDE_HOSTNAME: 'mail.example.org', ...env });
  const paths = {
    ...loaded.paths,
    serviceTemplates: SERVICES.pathname.replace(/\/$/, ''),
    services: join(directory, 'service'),
    stoppingMarker: join(directory, 'stopping'),
    dmsConfigFolder,
    mountedDkimKeys: join(directory, 'mounted-dkim'),
  } as unknown as Settings['paths'];
  await assembleServiceTree({ ...loaded, paths });
  return join(directory, 'service');
}

describe('the certificates service', () => {
  it('watches the source files of SSL_TYPE, is stopped first, and does not run for a self-signed certificate', async () => {
    const manual = await assembled({ SSL_CERT_PATH: '/certs/fullchain.pem', SSL_KEY_PATH: '/certs/privkey.pem' });
    assert.equal(
      readFileSync(join(manual, 'certificates/watched-files'), 'utf8'),
      '/certs/fullchain.pem\n/certs/privkey.pem\n',
    );
    assert.equal(existsSync(join(await assembled({}), 'certificates')), false);
    const stop = readFileSync(new URL('.s6-svscan/SIGTERM', SERVICES), 'utf8');
    assert.match(stop, /for service in certificates /);
  });

  describe('its loop', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'idmail-watch-loop-'));
    const source = join(scratch, 'fullchain.pem');
    const installed = join(scratch, 'source.sha256');
    const calls = join(scratch, 'calls');
    const exitCode = join(scratch, 'exit-code');
    let loop: ChildProcess | undefined;
    after(() => loop?.kill());

    /** The real script, its fixed paths and its 10 s moved into the scratch directory and to 0.1 s. */
    function startLoop(): void {
      const bin = join(scratch, 'bin');
      mkdirSync(bin, { recursive: true });
      // Stands in for `idmail certificates sync`: counts the call, and like the real one records what it installed.
      writeFileSync(
        join(bin, 'idmail'),
        `#!/bin/sh\necho call >> ${calls}\ncode=$(cat ${exitCode})\n[ "$code" = 0 ] && { sha256sum < ${source} | cut -d ' ' -f 1 > ${installed}; }\nexit "$code"\n`,
      );
      chmodSync(join(bin, 'idmail'), 0o755);
      writeFileSync(join(scratch, 'watched-files'), `${source}\n${join(scratch, 'missing.pem')}\n`);
      writeFileSync(join(scratch, 'environment.json'), '{}');
      const script = RUN_SCRIPT.replace('sleep 10', 'sleep 0.1')
        .replace('/run/idmail-tls/source.sha256', installed)
        .replace('/run/idmail-handed/environment.json', join(scratch, 'environment.json'));
      assert.notEqual(script, RUN_SCRIPT);
      loop = spawn('sh', ['-c', script], {
        cwd: scratch,
        env: { PATH: `${bin}:${process.env.PATH}` },
        stdio: 'ignore',
      });
    }
    const callCount = () => (existsSync(calls) ? readFileSync(calls, 'utf8').split('\n').length - 1 : 0);
    const ticks = () => sleep(600);

    it('calls sync only when the files differ from those installed, once for files that make no pair', async () => {
      writeFileSync(source, 'first');
      writeFileSync(installed, `${createHash('sha256').update('first').digest('hex')}\n`);
      writeFileSync(exitCode, '3');
      startLoop();
      await ticks();
      assert.equal(callCount(), 0, 'the installed files are not synced again');

      writeFileSync(source, 'half written');
      await ticks();
      assert.equal(callCount(), 1, 'refused files are tried once, then again only when they change');

      writeFileSync(exitCode, '0');
      writeFileSync(source, 'complete');
      await ticks();
      assert.equal(callCount(), 2, 'installed: nothing more to do');

      writeFileSync(exitCode, '1');
      writeFileSync(source, 'next');
      await ticks();
      assert.ok(callCount() >= 4, `a failed reload is tried at every tick (${callCount() - 2} tries)`);
    });
  });
});

describe('the hash-upgrades service', () => {
  it('runs only with PASSWORD_HASH_UPGRADE, looking at the queue the helper fills', async () => {
    const on = await assembled({ PASSWORD_HASH_UPGRADE: '1' });
    assert.equal(
      readFileSync(join(on, 'hash-upgrades/queue-folder'), 'utf8'),
      '/var/mail-state/idmail/hash-upgrades\n',
    );
    assert.match(readFileSync(join(on, 'hash-upgrades/run'), 'utf8'), /idmail account apply-hash-upgrades/);
    assert.equal(existsSync(join(await assembled({}), 'hash-upgrades')), false);
  });
});

describe('the config-folder service', () => {
  const folder = mkdtempSync(join(tmpdir(), 'idmail-dms-folder-'));
  const calls = join(folder, '..', `${folder.split('/').at(-1)}-calls`);
  const exitCode = `${calls}-exit-code`;
  let loop: ChildProcess | undefined;
  after(() => loop?.kill());

  it("watches docker-mailserver's relay tables and DKIM key folders, from what this start read; not without the folder", async () => {
    writeFileSync(join(folder, 'postfix-relaymap.cf'), '@example.org [relay.example.net]:587\n');
    const service = join(await assembled({ DMS_CONFIG_POLL: '7' }, folder), 'config-folder');
    const watched = readFileSync(join(service, 'watched-paths'), 'utf8').split('\n');
    for (const path of ['postfix-relaymap.cf', 'postfix-sasl-password.cf', 'opendkim/keys', 'rspamd/dkim'])
      assert.ok(watched.includes(join(folder, path)), `${path} in ${watched}`);
    assert.equal(readFileSync(join(service, 'poll-seconds'), 'utf8'), '7\n');
    assert.match(readFileSync(join(service, 'applied'), 'utf8'), /^[0-9a-f]{64}\n$/);
    assert.equal(existsSync(join(await assembled({}), 'config-folder')), false);
  });

  it('syncs once per change of a table or a key folder, and a folder a start would refuse once until it changes again', async () => {
    const service = join(await assembled({}, folder), 'config-folder');
    writeFileSync(join(service, 'poll-seconds'), '0.1\n');
    const bin = join(service, 'bin');
    mkdirSync(bin);
    // Stands in for `idmail config-folder sync`: counts the call, exits as told.
    writeFileSync(join(bin, 'idmail'), `#!/bin/sh\necho "$*" >> ${calls}\nexit "$(cat ${exitCode})"\n`);
    chmodSync(join(bin, 'idmail'), 0o755);
    writeFileSync(exitCode, '0');
    loop = spawn('sh', ['run'], { cwd: service, env: { PATH: `${bin}:${process.env.PATH}` }, stdio: 'ignore' });
    const callCount = () => (existsSync(calls) ? readFileSync(calls, 'utf8').split('\n').length - 1 : 0);
    const ticks = () => sleep(600);
    await ticks();
    assert.equal(callCount(), 0, 'what the start read is not synced again');

    writeFileSync(join(folder, 'postfix-relaymap.cf'), '@example.org [other.example.net]:587\n');
    await ticks();
    assert.equal(callCount(), 1, 'an edited table is synced, once');
    assert.equal(readFileSync(calls, 'utf8'), 'config-folder sync\n');

    writeFileSync(exitCode, '3');
    mkdirSync(join(folder, 'rspamd', 'dkim'), { recursive: true });
    writeFileSync(join(folder, 'rspamd', 'dkim', 'rsa-2048-mail-example.org.private.txt'), 'key');
    await ticks();
    assert.equal(callCount(), 2, 'a key added is synced; refused, it is not tried again until the files change');

    writeFileSync(exitCode, '0');
    writeFileSync(join(folder, 'postfix-sasl-password.cf'), '@example.org user:secret\n');
    await ticks();
    assert.equal(callCount(), 3, 'a new table is synced, and then nothing more is to do');
  });
});

describe('the mail log', () => {
  it('is turned over by logrotate as LOGROTATE_INTERVAL and LOGROTATE_COUNT say, rsyslog told to write a new file', async () => {
    const readConfig = async (env: Record<string, string>) =>
      readFileSync(join(await assembled(env), 'logrotate/mail-log.conf'), 'utf8');
    const weekly = await readConfig({});
    assert.match(weekly, /^\/var\/log\/mail\/mail\.log \{$/m);
    assert.match(weekly, /^ {2}weekly\n {2}rotate 4$/m);
    assert.match(weekly, /^ {2}su root root$/m);
    const daily = await readConfig({ LOGROTATE_INTERVAL: 'daily', LOGROTATE_COUNT: '14' });
    assert.match(daily, /^ {2}daily\n {2}rotate 14$/m);
    assert.match(daily, /postrotate\n {4}s6-svc -h \S+\/service\/rsyslog\n {2}endscript/);
    assert.doesNotMatch(daily, /copytruncate/);
  });

  it('is written by rsyslog, which stops last so that the others’ last lines are kept', () => {
    const stop = readFileSync(new URL('.s6-svscan/SIGTERM', SERVICES), 'utf8');
    assert.match(stop, /for service in [a-z -]* helper rsyslog; do/);
    for (const daemon of ['dovecot', 'postfix']) {
      const run = readFileSync(new URL(`${daemon}/run`, SERVICES), 'utf8');
      assert.match(run, /s6-svwait -U \S+\/helper \S+\/rsyslog /, `${daemon} waits for rsyslog`);
    }
  });
});
