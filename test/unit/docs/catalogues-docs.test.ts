import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { REASON_CODES } from '../../../src/auth/reason-codes.ts';
import { LOG_EVENTS } from '../../../src/vocabulary/log-events.ts';

const TROUBLESHOOTING = readFileSync(new URL('../../../docs/troubleshooting.md', import.meta.url), 'utf8');

/** The names in the first column of the table under "## <title>", in their order. */
function documentedNames(title: string): string[] {
  const section = TROUBLESHOOTING.split(/^## /m).find((part) => part.startsWith(`${title}\n`));
  assert.ok(section !== undefined, `docs/troubleshooting.md has no "## ${title}" section`);
  return [...section.matchAll(/^\| `([a-z0-9_-]+)` \|/gm)].map((match) => match[1] as string);
}

for (const [title, catalogue] of [
  ['Reason codes', Object.keys(REASON_CODES)],
  ['Log events', Object.keys(LOG_EVENTS)],
] as const) {
  describe(`the ${title.toLowerCase()} in docs/troubleshooting.md`, () => {
    const documented = documentedNames(title);

    it('lists every name of the catalogue', () => {
      assert.deepEqual(
        catalogue.filter((name) => !documented.includes(name)),
        [],
      );
    });

    it('lists no name the catalogue lacks, and each once', () => {
      assert.deepEqual(
        documented.filter((name) => !catalogue.includes(name)),
        [],
      );
      assert.deepEqual(
        documented.filter((name, index) => documented.indexOf(name) !== index),
        [],
      );
    });
  });
}
