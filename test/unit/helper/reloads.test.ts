import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { Reloads } from '../../../src/reloads.ts';

function recordingLog() {
  const lines: string[] = [];
  const log = {
    info: (_fields: unknown, message: string) => lines.push(`info ${message}`),
    error: (_fields: unknown, message: string) => lines.push(`error ${message}`),
  } as unknown as FastifyBaseLogger;
  return { log, lines };
}

describe("the helper's reload on SIGHUP", () => {
  it('reloads every part, says which, and keeps going past one that fails', async () => {
    const reloads = new Reloads();
    const done: string[] = [];
    reloads.add('https certificate', async () => {
      throw new Error('unreadable');
    });
    reloads.add('another part', async () => {
      done.push('another part');
    });
    const { log, lines } = recordingLog();
    await reloads.run(log);
    assert.deepEqual(done, ['another part']);
    assert.deepEqual(lines, ['error not reloaded, kept as it was: https certificate', 'info reloaded: another part']);
  });
});
