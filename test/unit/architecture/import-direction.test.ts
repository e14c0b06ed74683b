import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

/**
 * Imports run one way: vocabulary ← config ← everything else. The sign-in code (auth) knows neither
 * the web framework nor the adapters that reach it, so it can be read, and tested, on its own.
 */
const SRC = resolve(import.meta.dirname, '../../../src');

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(directory, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(directory, entry.name)]
        : [],
  );
}

/** Each file's imports: the area of src/ (its first folder) for local ones, the package name for others. */
function importsOf(file: string): { local: string[]; packages: string[] } {
  const specifiers = [
    ...readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^'";]*?from '([^']+)'|import\('([^']+)'\)/gm),
  ].map((match) => match[1] ?? match[2] ?? '');
  const local = specifiers
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => areaOf(resolve(dirname(file), specifier)));
  return { local, packages: specifiers.filter((specifier) => !specifier.startsWith('.')) };
}

const areaOf = (path: string) => relative(SRC, path).split('/')[0] as string;

const filesOf = (area: string) => sourceFiles(SRC).filter((file) => areaOf(file) === area);

function offending(area: string, allowed: (importedArea: string) => boolean): string[] {
  return filesOf(area).flatMap((file) =>
    importsOf(file)
      .local.filter((imported) => !allowed(imported))
      .map((imported) => `${relative(SRC, file)} → ${imported}`),
  );
}

describe('the direction of imports', () => {
  it('keeps the vocabulary a leaf', () => {
    assert.deepEqual(
      offending('vocabulary', (area) => area === 'vocabulary'),
      [],
    );
  });

  it('lets config import only the vocabulary', () => {
    assert.deepEqual(
      offending('config', (area) => area === 'config' || area === 'vocabulary'),
      [],
    );
  });

  it('keeps the sign-in code free of adapters, renderers, start-up and the web framework', () => {
    assert.deepEqual(
      offending('auth', (area) => ['auth', 'config', 'vocabulary', 'state'].includes(area)),
      [],
    );
    const fastify = filesOf('auth').filter((file) =>
      importsOf(file).packages.some((name) => name.startsWith('fastify') || name.startsWith('@fastify')),
    );
    assert.deepEqual(
      fastify.map((file) => relative(SRC, file)),
      [],
    );
  });
});
