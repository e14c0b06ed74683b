import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { MAIL_IMAGE } from '../support/images.ts';
import { eventually } from '../support/stack.ts';

const run = promisify(execFile);
const STOCK_ENV = new URL('../fixtures/docker-mailserver/mailserver.env', import.meta.url).pathname;

/** A docker-mailserver user's start: its stock mailserver.env as the env file, a hostname added. */
describe("docker-mailserver's stock mailserver.env", () => {
  const name = `idmail-dms-env-${process.pid}`;
  after(() => run('docker', ['rm', '-f', name]).catch(() => undefined));

  it('starts healthy with only a hostname added, and says which of its settings it took how', async () => {
    await run('docker', [
      'run',
      '-d',
      '--name',
      name,
      '--env-file',
      STOCK_ENV,
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
    const { stdout, stderr } = await run('docker', ['logs', name]);
    const log = stdout + stderr;
    assert.match(
      log,
      /idmail: warning: ENABLE_RSPAMD=0, but ENABLE_OPENDKIM=1, ENABLE_OPENDMARC=1, ENABLE_POLICYD_SPF=1, ENABLE_AMAVIS=1 ask for what rspamd does here: rspamd is on/,
    );
    assert.match(log, /idmail: notice: POSTGREY_TEXT: docker-mailserver's setting, accepted: /);
    assert.match(log, /idmail: notice: SSL_TYPE: unset, and the default differs: a self-signed certificate here/);
  });
});
