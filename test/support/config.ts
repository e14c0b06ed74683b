import assert from 'node:assert/strict';
import { ConfigError, loadSettings } from '../../src/config/settings.ts';

/** The problems a start with this environment would report; fails the test when it would start. */
export function problemsOf(env: Record<string, string>): string[] {
  try {
    loadSettings(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}
