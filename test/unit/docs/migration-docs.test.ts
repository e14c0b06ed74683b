import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { MIGRATION_DOC, withDmsVariableTable } from '../../../scripts/dms-variable-table.ts';

describe('docs/migrating-from-docker-mailserver.md', () => {
  it('shows every docker-mailserver variable as src/config/dms-variables.ts decides it (npm run docs:configuration)', () => {
    const doc = readFileSync(MIGRATION_DOC, 'utf8');
    assert.equal(doc, withDmsVariableTable(doc));
  });
});
