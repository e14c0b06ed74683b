import { readFileSync, writeFileSync } from 'node:fs';
import { DMS_VARIABLES, type DmsVariable } from '../src/config/dms-variables.ts';

/**
 * Writes the table of docker-mailserver's variables in docs/migrating-from-docker-mailserver.md from
 * src/config/dms-variables.ts (`npm run docs:configuration`), between its two markers.
 */
export const MIGRATION_DOC = new URL('../docs/migrating-from-docker-mailserver.md', import.meta.url);

const MARKED_TABLE = /(<!-- dms-variables:begin -->\n)[\s\S]*?(<!-- dms-variables:end -->)/;

const code = (text: string) => `\`${text}\``;

function whatHappens({ decision }: DmsVariable): string {
  switch (decision.kind) {
    case 'ours':
      return `read, as in docker-mailserver${decision.unsetDiffers === undefined ? '' : `; unset: ${decision.unsetDiffers}`}`;
    case 'notice':
      return `accepted, with a notice at start: ${decision.here}`;
    case 'accepted-as':
      return `accepted at ${decision.values.map(code).join(', ')}, refused at any other value: ${decision.here}`;
    case 'same-as':
      return `accepted when equal to ${code(decision.ours)}, refused otherwise: ${decision.here}`;
    case 'refused':
      return `refused when set: ${decision.here}`;
  }
}

function table(): string {
  const rows = Object.entries(DMS_VARIABLES).map(([name, variable]) =>
    [code(name), variable.dmsDefault === '' ? '(empty)' : code(variable.dmsDefault), whatHappens(variable)]
      .map((cell) => cell.replaceAll('|', '\\|'))
      .join(' | '),
  );
  return `| Variable | docker-mailserver's default | Here |\n|---|---|---|\n${rows.map((row) => `| ${row} |\n`).join('')}`;
}

/** The doc with the table rendered anew; refused when the doc has no markers for it. */
export function withDmsVariableTable(doc: string): string {
  if (!MARKED_TABLE.test(doc))
    throw new Error('no <!-- dms-variables:begin --> … <!-- dms-variables:end --> in the doc');
  return doc.replace(MARKED_TABLE, (_table, begin: string, end: string) => `${begin}${table()}${end}`);
}

if (import.meta.main) {
  const doc = readFileSync(MIGRATION_DOC, 'utf8');
  const written = withDmsVariableTable(doc);
  writeFileSync(MIGRATION_DOC, written);
  console.log(written === doc ? `${MIGRATION_DOC.pathname}: up to date` : `${MIGRATION_DOC.pathname}: table rewritten`);
}
