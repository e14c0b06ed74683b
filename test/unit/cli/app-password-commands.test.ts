import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseExpiry } from '../../../src/cli/app-password-commands.ts';

describe('app-password command options', () => {
  const now = new Date('2026-06-01T12:00:00Z');
  it('takes days or a date for --expires, only in the future', () => {
    assert.equal(parseExpiry('90d', now).toISOString(), '2026-08-30T12:00:00.000Z');
    assert.equal(parseExpiry('2027-06-30', now).toISOString(), '2027-06-30T00:00:00.000Z');
    assert.throws(() => parseExpiry('2026-01-01', now), /not in the future/);
    assert.throws(() => parseExpiry('soon', now), /is not a date; allowed: days like 90d/);
  });
});
