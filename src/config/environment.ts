import { readFileSync } from 'node:fs';

/**
 * The raw environment, with docker-mailserver's `<VAR>__FILE` convention resolved:
 * `OAUTH2_CLIENT_SECRET__FILE=/run/secrets/x` reads the secret from that file. An empty value is
 * unset, as in docker-mailserver (whose stock mailserver.env lists most variables empty): the default applies.
 */
export function resolveFileVariables(env: NodeJS.ProcessEnv): { env: Record<string, string>; problems: string[] } {
  const resolved: Record<string, string> = {};
  const problems: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === '' || name.endsWith('__FILE')) continue;
    resolved[name] = value;
  }
  for (const [name, path] of Object.entries(env)) {
    if (!name.endsWith('__FILE') || path === undefined || path === '') continue;
    const target = name.slice(0, -'__FILE'.length);
    if (resolved[target] !== undefined) {
      problems.push(`${name}: both ${target} and ${name} are set; allowed: only one of them`);
      continue;
    }
    try {
      const value = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
      if (value !== '') resolved[target] = value;
    } catch (error) {
      problems.push(
        `${name}: cannot read "${path}" (${(error as NodeJS.ErrnoException).code ?? 'error'}); allowed: a readable file`,
      );
    }
  }
  return { env: resolved, problems };
}

/** The environment `idmail prepare` resolved and wrote as JSON, handed to the helper and the purger on standard input. */
export function environmentFromJson(text: string): Record<string, string> {
  const parsed: unknown = JSON.parse(text);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error('the handed environment is not a JSON object');
  const entries = Object.entries(parsed);
  if (entries.some(([, value]) => typeof value !== 'string'))
    throw new Error('the handed environment has a value that is not a string');
  return Object.fromEntries(entries) as Record<string, string>;
}
