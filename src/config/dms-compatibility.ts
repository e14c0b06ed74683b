import { closest } from 'fastest-levenshtein';
import { DMS_VARIABLES, type DmsVariable } from './dms-variables.ts';

const GUIDE = 'see docs/migrating-from-docker-mailserver.md';

const DMS_ONLY = Object.entries(DMS_VARIABLES).filter(([, variable]) => variable.decision.kind !== 'ours');

/** Lower-cased and trimmed, as DMS compares its switches and choices. */
const normalized = (value: string): string => value.trim().toLowerCase();

type ProcessEnv = Readonly<Record<string, string | undefined>>;

/** Any of docker-mailserver's own variables present, empty or not. */
const isDockerMailserverEnvironment = (processEnv: ProcessEnv): boolean =>
  DMS_ONLY.some(([name]) => processEnv[name] !== undefined);

/**
 * A docker-mailserver LDAP block names no schema: it means docker-mailserver's (postfix-book), whose
 * defaults keep disabled entries out (mailEnabled) and deliver mailAlias; ours (inetorgperson) has neither.
 */
export function dmsLdapSchema(
  raw: Readonly<Record<string, string>>,
  processEnv: ProcessEnv,
): { env: Readonly<Record<string, string>>; notices: string[] } {
  const dmsLdapBlock =
    normalized(raw.ACCOUNT_PROVISIONER ?? '') === 'ldap' &&
    raw.LDAP_SCHEMA === undefined &&
    isDockerMailserverEnvironment(processEnv);
  if (!dmsLdapBlock) return { env: raw, notices: [] };
  return {
    env: { ...raw, LDAP_SCHEMA: 'postfix-book' },
    notices: [
      "LDAP_SCHEMA: unset in a docker-mailserver environment: postfix-book, docker-mailserver's schema (an entry needs mailEnabled=TRUE to sign in and receive; mailAlias delivers); set LDAP_SCHEMA for another",
    ],
  };
}

/**
 * An environment from docker-mailserver that leaves unset one of ours whose default is another,
 * safer, thing here, is told so once per variable.
 */
export function differingDefaultNotices(processEnv: ProcessEnv): string[] {
  if (!isDockerMailserverEnvironment(processEnv)) return [];
  return Object.entries(DMS_VARIABLES).flatMap(([name, { decision }]) =>
    decision.kind === 'ours' && decision.unsetDiffers !== undefined && !processEnv[name]
      ? [`${name}: unset, and the default differs: ${decision.unsetDiffers}`]
      : [],
  );
}

/**
 * docker-mailserver's variables that idmail does not read, as the environment sets them: a problem
 * for each that asks for what idmail does not do, and a notice for each accepted one.
 */
export function dmsVariableReport(raw: Readonly<Record<string, string>>): { problems: string[]; notices: string[] } {
  const problems: string[] = [];
  const notices: string[] = [];
  for (const [name, variable] of DMS_ONLY) {
    const value = raw[name];
    if (value === undefined) continue;
    const refusal = refusalOf(variable, value, raw);
    if (refusal !== undefined) problems.push(`${name}: docker-mailserver's setting, ${refusal} (${GUIDE})`);
    else notices.push(`${name}: docker-mailserver's setting, accepted: ${hereOf(variable)}`);
  }
  return { problems, notices };
}

/** Why the value is refused and what is allowed instead; undefined when it is accepted. */
function refusalOf(variable: DmsVariable, value: string, raw: Readonly<Record<string, string>>): string | undefined {
  const { decision } = variable;
  switch (decision.kind) {
    case 'refused':
      return `not honoured here: ${decision.here}; allowed: unset`;
    case 'accepted-as':
      return decision.values.includes(normalized(value))
        ? undefined
        : `"${value}" is not honoured here: ${decision.here}; allowed: ${decision.values.join(', ')}, or unset`;
    case 'same-as':
      return value.trim() === (raw[decision.ours] ?? '').trim()
        ? undefined
        : `differs from ${decision.ours}: ${decision.here}; allowed: the value of ${decision.ours}, or unset`;
    default:
      return undefined;
  }
}

const hereOf = (variable: DmsVariable): string => ('here' in variable.decision ? variable.decision.here : '');

// What Kubernetes service links and Docker's legacy links put in the environment: LDAP_SERVICE_HOST, LDAP_PORT_389_TCP.
const LINK_VARIABLE =
  /_(SERVICE_HOST|SERVICE_PORT(_[A-Z0-9_]+)?|PORT(_\d+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)?|NAME|ENV_[A-Z0-9_]+)$/;

/**
 * A name that looks like one of ours (it starts as one does: `OAUTH2_`, `LDAP_`, `ENABLE_`, …) but is
 * neither ours nor docker-mailserver's is a misspelling, which would otherwise leave a default in place.
 */
export function misspeltVariableProblems(raw: Readonly<Record<string, string>>, ourNames: readonly string[]): string[] {
  const known = new Set([...ourNames, ...Object.keys(DMS_VARIABLES)]);
  const prefixes = new Set(ourNames.map((name) => name.split('_')[0]));
  return Object.keys(raw)
    .filter((name) => name.includes('_') && !known.has(name) && !LINK_VARIABLE.test(name))
    .filter((name) => prefixes.has(name.split('_')[0]))
    .map(
      (name) =>
        `${name}: is no idmail or docker-mailserver variable; allowed: a variable of docs/configuration.md (did you mean ${closest(name, ourNames)}?)`,
    );
}
