import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { GenericContainer, type StartedTestContainer, Wait } from 'testcontainers';
import { MAIL_IMAGE } from '../support/images.ts';
import { ACCOUNTS_YAML, eventually } from '../support/stack.ts';

const run = promisify(execFile);
const env = { OVERRIDE_HOSTNAME: 'mail.example.test', MAIL_DOMAINS: 'example.test' };

describe('a bad environment', () => {
  it('stops the container with one clear message per problem, before anything starts', async () => {
    const bad = { ...env, LOG_LEVEL: 'loud', MAIL_DOMAINS: 'example.test\n}', ENABLE_OAUTH2: '1' };
    // Not --rm: Podman's Docker API then reports exit code 0 whatever the container returned.
    const name = `idmail-bad-env-${process.pid}`;
    const args = ['run', '--name', name, ...Object.entries(bad).flatMap(([key, value]) => ['-e', `${key}=${value}`]), MAIL_IMAGE];
    const result = await run('docker', args)
      .then(
        () => ({ code: 0, output: '' }),
        (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, output: error.stdout + error.stderr }),
      )
      .finally(() => run('docker', ['rm', '-f', name]));
    assert.equal(result.code, 78);
    assert.match(result.output, /LOG_LEVEL: "loud" is not one of the choices; allowed: error, warn, info, debug, trace/);
    assert.match(result.output, /MAIL_DOMAINS: "}" is not a domain name/);
    assert.match(result.output, /ENABLE_OAUTH2: is on but neither OAUTH2_ISSUER nor OAUTH2_INTROSPECTION_URL is set/);
    assert.doesNotMatch(result.output, /Dovecot|postfix/i);
  });
});

describe('stopping', () => {
  let container: StartedTestContainer;
  let output = '';
  before(async () => {
    container = await new GenericContainer(MAIL_IMAGE)
      .withEnvironment(env)
      .withCopyContentToContainer([{ content: ACCOUNTS_YAML, target: '/etc/idmail/accounts.yaml' }])
      .withLogConsumer((stream) => stream.on('data', (chunk) => (output += chunk.toString())))
      .withWaitStrategy(Wait.forHealthCheck())
      .withStartupTimeout(120_000)
      .start();
  });
  after(async () => container?.stop().catch(() => undefined));

  it('stops in order on SIGTERM within 10 s and keeps queued mail for the next start', async () => {
    // A message to a domain that cannot be reached stays in the queue.
    const queued = await container.exec(['sh', '-c', 'printf "Subject: queued\\n\\nhi\\n" | sendmail -f alice@example.test someone@unreachable.invalid']);
    assert.equal(queued.exitCode, 0, queued.output);
    const inQueue = () => container.exec(['postqueue', '-j']).then((result) => result.output.includes('someone@unreachable.invalid'));
    assert.ok(await eventually(inQueue, (found) => found));

    const started = Date.now();
    await run('docker', ['restart', '--time', '10', container.getId()]);
    const stopSeconds = (Date.now() - started) / 1000;
    assert.match(output, /idmail: stopping postfix, dovecot, helper[\s\S]*idmail: stopped/);
    assert.ok(stopSeconds < 10, `stop and start took ${stopSeconds} s`);
    assert.ok(await eventually(inQueue, (found) => found), 'the queued message survived the stop');
  });
});
