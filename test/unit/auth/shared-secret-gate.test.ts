import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BruteForceGuard } from '../../../src/auth/brute-force/brute-force-guard.ts';
import { SharedSecretGate } from '../../../src/auth/shared-secret-gate.ts';
import type { Logger } from '../../../src/vocabulary/logger.ts';
import { guardSettings } from '../../support/guard-settings.ts';

const SETTINGS = guardSettings({ banAfter: 2 });

function gateWithLog() {
  const lines: Record<string, unknown>[] = [];
  const keep = (line: object) => void lines.push(line as Record<string, unknown>);
  const log: Logger = { info: keep, warn: keep, error: keep };
  const guard = new BruteForceGuard(SETTINGS, log);
  const gate = new SharedSecretGate({ authorization: 'Bearer right', method: 'scim-token', guard, log });
  return { gate, signIns: () => lines.filter((line) => line.event === 'sign-in') };
}

describe('the shared-secret gate (SCIM bearer token)', () => {
  it('logs each refusal as a sign-in line with its code: missing, wrong, then banned', async () => {
    const { gate, signIns } = gateWithLog();
    assert.equal(await gate.admits(undefined, '203.0.113.5'), false);
    assert.equal(await gate.admits('Bearer wrong', '203.0.113.5'), false);
    assert.equal(await gate.admits('Bearer right', '203.0.113.5'), false);
    assert.deepEqual(
      signIns().map(({ outcome, code }) => ({ outcome, code })),
      [
        { outcome: 'deny', code: 'bearer_missing' },
        { outcome: 'deny', code: 'bearer_wrong' },
        { outcome: 'deny', code: 'ip_banned' },
      ],
    );
    assert.equal(await gate.admits('Bearer right', '198.51.100.5'), true);
  });
});
