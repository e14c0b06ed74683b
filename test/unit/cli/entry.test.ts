import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CLI = new URL('../../../src/cli.ts', import.meta.url).pathname;

/** The `idmail` entry, as a process: its exit code and what it printed. */
async function idmail(args: string[], env: Record<string, string>) {
  return run(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      output: error.stdout + error.stderr,
    }),
  );
}

const VALID = { OVERRIDE_HOSTNAME: 'mail.example.test' };

describe('idmail entry', () => {
  it('health, on its short path, stops at a wrong setting with exit 78 and the variable named', async () => {
    const result = await idmail(['health'], { ...VALID, LOG_LEVEL: 'loud' });
    assert.equal(result.code, 78);
    assert.match(result.output, /^idmail: invalid configuration:\n {2}- LOG_LEVEL: "loud" is not one of the choices/);
  });

  it('health with nothing running answers exit 1 and names every part not answering', async () => {
    const result = await idmail(['health'], VALID);
    assert.equal(result.code, 1);
    assert.match(result.output, /^unhealthy: helper, dovecot, postfix, rspamd not answering\n$/);
  });

  it('every other command goes through the full command set, health included in its help', async () => {
    const result = await idmail(['--help'], VALID);
    assert.equal(result.code, 0);
    assert.match(result.output, /^ {2}health +exit 0 when the helper, Dovecot, Postfix and rspamd$/m);
    assert.match(result.output, /^ {2}prepare /m);
  });
});
