import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { ValidatorSpec } from 'envalid';
import { CONFIGURATION_DOC, withVariableTables } from '../../../scripts/configuration-tables.ts';
import { variableSpecs } from '../../../src/config/settings.ts';
import { type DocumentedVariable, documentedVariables } from '../../../src/config/variable-catalogue.ts';

const doc = readFileSync(CONFIGURATION_DOC, 'utf8');
const variables = documentedVariables();
const specs = new Map<string, ValidatorSpec<unknown>>(Object.entries(variableSpecs));

function documented(name: string): DocumentedVariable {
  const variable = variables.find((candidate) => candidate.name === name);
  assert.ok(variable, `${name} is in no section of src/config/variable-catalogue.ts`);
  return variable;
}

/** The first line where the doc and the tables the specs make part, for a message shorter than the whole file. */
function firstDifference(written: string, rendered: string): string {
  const writtenLines = written.split('\n');
  const renderedLines = rendered.split('\n');
  const line = writtenLines.findIndex((text, index) => text !== renderedLines[index]);
  return `line ${line + 1}:\n  the doc:   ${writtenLines[line]}\n  the specs: ${renderedLines[line]}`;
}

/** Whether the variable's own validator takes the value, as it would from the environment. */
function accepts(spec: ValidatorSpec<unknown>, value: string): boolean {
  try {
    spec._parse(value);
    return true;
  } catch (error) {
    // A validator that reads the file it is given (a CA) cannot here: that file is on the reader's server.
    return (error as Error).message.startsWith('cannot read');
  }
}

describe('docs/configuration.md', () => {
  it('has exactly the tables the settings specs make', () => {
    const rendered = withVariableTables(doc);
    const advice = 'docs/configuration.md disagrees with the settings specs: run `npm run docs:configuration`';
    assert.ok(rendered === doc, `${advice}\n${firstDifference(doc, rendered)}`);
  });

  it('lists every variable the specs declare, once', () => {
    for (const name of specs.keys()) documented(name);
    const names = variables.map((variable) => variable.name);
    assert.deepEqual(
      names.filter((name, index) => names.indexOf(name) !== index),
      [],
      'variables in two sections of src/config/variable-catalogue.ts',
    );
    for (const name of names) assert.match(doc, new RegExp(`^\\| \`${name}\` \\|`, 'm'), `${name} has no row`);
  });

  it('shows each default as the environment would carry it', () => {
    for (const [name, spec] of specs) {
      if (spec.default === undefined) continue;
      const shown = documented(name).defaultValue;
      assert.notEqual(shown, undefined, `${name} has a default the docs do not show`);
      assert.deepEqual(spec._parse(shown as string), spec.default, `${name}: "${shown}" shown is not its default`);
    }
  });

  it('gives examples the variables accept', () => {
    for (const { name, example } of variables) {
      const spec = specs.get(name);
      if (example === undefined || spec === undefined) continue;
      assert.ok(accepts(spec, example), `${name}: the example "${example}" is refused`);
    }
  });
});
