import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** docker-mailserver's config folder, where its users mount it. */
export const DMS_CONFIG_FOLDER = '/tmp/docker-mailserver';

/** Its Sieve scripts for every mailbox, before and after each user's own. */
export const DMS_SIEVE_FILES = { before: 'before.dovecot.sieve', after: 'after.dovecot.sieve' } as const;

/** Its relay tables (`setup relay add-domain`, `setup relay add-auth`). */
export const DMS_RELAY_MAP = 'postfix-relaymap.cf';
export const DMS_RELAY_PASSWORDS = 'postfix-sasl-password.cf';

/** Its tables that are variables of ours: read as if `<VAR>__FILE` named them, when neither is set. */
const DMS_TABLES = { RELAY_MAP: DMS_RELAY_MAP, RELAY_CREDENTIALS: DMS_RELAY_PASSWORDS };

/**
 * The raw environment, with docker-mailserver's `<VAR>__FILE` convention resolved:
 * `OAUTH2_CLIENT_SECRET__FILE=/run/secrets/x` reads the secret from that file. An empty value is
 * unset, as in docker-mailserver (whose stock mailserver.env lists most variables empty): the default applies.
 */
export function resolveFileVariables(
  env: NodeJS.ProcessEnv,
  configFolder = DMS_CONFIG_FOLDER,
): { env: Record<string, string>; problems: string[] } {
  const resolved: Record<string, string> = {};
  const problems: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === '' || name.endsWith('__FILE')) continue;
    resolved[name] = value;
  }
  const files = Object.entries(env).filter(
    ([name, path]) => name.endsWith('__FILE') && path !== undefined && path !== '',
  );
  for (const [name, table] of Object.entries(DMS_TABLES)) {
    const path = join(configFolder, table);
    if (resolved[name] === undefined && !env[`${name}__FILE`] && existsSync(path)) files.push([`${name}__FILE`, path]);
  }
  for (const [name, path = ''] of files) {
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
