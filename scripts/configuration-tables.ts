import { readFileSync, writeFileSync } from 'node:fs';
import { type DocumentedVariable, documentedVariables } from '../src/config/variable-catalogue.ts';

/**
 * Writes the variable tables of docs/configuration.md from the settings specs (`npm run docs:configuration`).
 * Each table sits between `<!-- variables:begin <section> -->` and `<!-- variables:end -->`; the prose
 * around them is written by hand and kept as it is.
 */
export const CONFIGURATION_DOC = new URL('../docs/configuration.md', import.meta.url);

const MARKED_TABLE = /(<!-- variables:begin ([a-z0-9-]+) -->\n)[\s\S]*?(<!-- variables:end -->)/g;

const markedSections = (doc: string): string[] => [...doc.matchAll(MARKED_TABLE)].map((match) => match[2] as string);

/** The doc with every marked table rendered anew; refused when a section of variables has no table. */
export function withVariableTables(doc: string): string {
  const variables = documentedVariables();
  const marked = markedSections(doc);
  const unmarked = [...new Set(variables.map(({ section }) => section))].filter((name) => !marked.includes(name));
  if (unmarked.length > 0) {
    throw new Error(`no table for ${unmarked.join(', ')}; mark one: <!-- variables:begin NAME -->`);
  }
  return doc.replace(MARKED_TABLE, (_table, begin: string, section: string, end: string) => {
    const table = tableOf(
      variables.filter((variable) => variable.section === section),
      section,
    );
    return `${begin}${table}${end}`;
  });
}

function tableOf(variables: readonly DocumentedVariable[], section: string): string {
  if (variables.length === 0) throw new Error(`a table is marked "${section}", a section no variable is in`);
  const rows = variables.map((variable) => [
    code(variable.name),
    shownDefault(variable),
    described(variable),
    variable.example === undefined ? '' : code(variable.example),
  ]);
  return TABLE_HEAD + rows.map((cells) => `| ${cells.map(escapePipes).join(' | ')} |\n`).join('');
}

const TABLE_HEAD = '| Variable | Default | Description | Example |\n|---|---|---|---|\n';

/** A value in code; anything else (what unset means) in parentheses. An empty list reads as none. */
const shownDefault = ({ defaultValue, whenUnset }: DocumentedVariable) =>
  defaultValue ? code(defaultValue) : `(${whenUnset ?? 'none'})`;

const described = ({ description, choices }: DocumentedVariable) =>
  choices === undefined ? description : `${description}; one of ${choices.map(code).join(', ')}`;

const code = (text: string) => `\`${text}\``;

// A | would end the cell, even inside code (LDAP filters have them).
const escapePipes = (cell: string) => cell.replaceAll('|', '\\|');

if (import.meta.main) {
  const doc = readFileSync(CONFIGURATION_DOC, 'utf8');
  const written = withVariableTables(doc);
  writeFileSync(CONFIGURATION_DOC, written);
  console.log(written === doc ? 'docs/configuration.md: up to date' : 'docs/configuration.md: tables rewritten');
}
