import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { REASON_CODES } from '../../../src/auth/reason-codes.ts';

const TROUBLESHOOTING = new URL('../../../docs/troubleshooting.md', import.meta.url);

/** The codes in the first column of the table under "## Reason codes", in their order. */
function documentedCodes(markdown: string): string[] {
  const section = markdown.split(/^## /m).find((part) => part.startsWith('Reason codes\n'));
  assert.ok(section !== undefined, 'docs/troubleshooting.md has no "## Reason codes" section');
  return [...section.matchAll(/^\| `([a-z0-9_]+)` \|/gm)].map((match) => match[1] as string);
}

describe('the reason codes in docs/troubleshooting.md', () => {
  const documented = documentedCodes(readFileSync(TROUBLESHOOTING, 'utf8'));
  const catalogue = Object.keys(REASON_CODES);

  it('lists every code of the catalogue', () => {
    assert.deepEqual(
      catalogue.filter((code) => !documented.includes(code)),
      [],
    );
  });

  it('lists no code the catalogue lacks, and each once', () => {
    assert.deepEqual(
      documented.filter((code) => !catalogue.includes(code)),
      [],
    );
    assert.deepEqual(
      documented.filter((code, index) => documented.indexOf(code) !== index),
      [],
    );
  });
});
