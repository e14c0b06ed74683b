import { type CleanedEnv, makeValidator } from 'envalid';
import { choice, flag, quotedText, seconds, wholeNumber } from './validators.ts';

/** rspamd as Postfix's milter: inbound checks and spam scores, outbound DKIM signatures. */
export interface FilterSettings {
  /** Valkey inside the container for what needs Redis (greylisting, Bayes, rspamd's controller for learning). */
  redis: boolean;
  /** Doubtful inbound mail refused for a while first (RSPAMD_GREYLISTING, docker-mailserver's ENABLE_POSTGREY). */
  greylisting: GreylistSettings | undefined;
  /** A Sieve rule before the user's own files mail rspamd marked as spam (`X-Spam: Yes`) into Junk. */
  moveSpamToJunk: boolean;
  /** SPAM_SUBJECT: prefixed to the subject of such mail by a Sieve rule before that one; undefined: none. */
  spamSubject: string | undefined;
  dkim: DkimSettings;
}

interface GreylistSettings {
  /** How long a greylisted sender waits before a retry is accepted (POSTGREY_DELAY). */
  delaySeconds: number;
  /** How long rspamd remembers a sender (POSTGREY_MAX_AGE); undefined: rspamd's own day. */
  maxAgeDays: number | undefined;
  /** The temporary refusal's text (POSTGREY_TEXT); undefined: rspamd's own. */
  message: string | undefined;
}

export interface DkimSettings {
  /** The selector of a domain's first key; `idmail dkim rotate` makes new ones from it. */
  selector: string;
  keyBits: DkimKeyBits;
}

const DKIM_KEY_BITS = ['1024', '2048', '4096'] as const;

/** How long docker-mailserver's Postgrey remembered a sender, in days (its POSTGREY_MAX_AGE default). */
const DMS_POSTGREY_MAX_AGE = 35;
type DkimKeyBits = 1024 | 2048 | 4096;

// A DNS label: what a selector must be, since it becomes SELECTOR._domainkey.DOMAIN.
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

const selector = makeValidator<string>((value) => {
  const trimmed = value.trim().toLowerCase();
  if (!DNS_LABEL.test(trimmed))
    throw new Error(`"${value}" is no DNS label; allowed: letters, digits and inner hyphens, at most 63`);
  return trimmed;
});

/** docker-mailserver's filters, each of which rspamd does here: one on keeps rspamd on, even with ENABLE_RSPAMD=0. */
const DMS_FILTER_SWITCHES = {
  ENABLE_OPENDKIM: 'DKIM signatures on outbound mail (OpenDKIM in docker-mailserver)',
  ENABLE_OPENDMARC: 'DMARC checks of inbound mail (OpenDMARC in docker-mailserver)',
  ENABLE_POLICYD_SPF: 'SPF checks of inbound mail (policyd-spf in docker-mailserver)',
  ENABLE_AMAVIS: 'spam scores (Amavis in docker-mailserver)',
  ENABLE_SPAMASSASSIN: 'spam scores (SpamAssassin in docker-mailserver)',
} as const;

type DmsFilterSwitch = keyof typeof DMS_FILTER_SWITCHES;

function dmsFilterSwitchSpecs() {
  const spec = (what: string) =>
    flag({
      default: undefined,
      desc: `docker-mailserver's switch for ${what}: \`1\` keeps rspamd on, which does it here`,
      example: '1',
    });
  return Object.fromEntries(Object.entries(DMS_FILTER_SWITCHES).map(([name, what]) => [name, spec(what)])) as Record<
    DmsFilterSwitch,
    ReturnType<typeof spec>
  >;
}

export const filterSpecs = {
  ENABLE_RSPAMD: flag({
    default: true,
    desc:
      "rspamd as Postfix's milter: SPF, DKIM and DMARC checks and spam scores on port 25, DKIM signatures on " +
      'outbound mail; `0` for an external filter (then nothing is signed or scored here)',
    example: '0',
  }),
  ENABLE_RSPAMD_REDIS: flag({
    default: undefined,
    whenUnset: 'on with `ENABLE_POSTGREY=1`, else off',
    desc: "Valkey (Redis) inside the container for rspamd's Bayes, greylisting and learning (`rspamc learn_spam`)",
    example: '1',
  }),
  RSPAMD_GREYLISTING: flag({
    default: false,
    desc: 'Greylist doubtful inbound mail (a temporary refusal first); needs `ENABLE_RSPAMD_REDIS=1`',
    example: '1',
  }),
  ENABLE_POSTGREY: flag({
    default: false,
    desc:
      "docker-mailserver's greylisting switch: `1` greylists as `RSPAMD_GREYLISTING=1` does (rspamd greylists " +
      'doubtful mail, not every new sender as Postgrey did), with Valkey on unless `ENABLE_RSPAMD_REDIS=0`',
    example: '1',
  }),
  POSTGREY_DELAY: seconds({
    default: 300,
    desc: 'Seconds a greylisted sender must wait before its retry is accepted (at most a day)',
    example: '120',
  }),
  POSTGREY_MAX_AGE: wholeNumber({
    default: undefined,
    whenUnset: "35 with `ENABLE_POSTGREY=1` (docker-mailserver's), else rspamd's own (1)",
    desc: 'Days rspamd remembers a greylisted sender (1 to 3650)',
    example: '7',
  }),
  POSTGREY_TEXT: quotedText({
    default: undefined,
    whenUnset: "rspamd's own (`Try again later`)",
    desc: 'The text of the temporary refusal a greylisted sender gets',
    example: 'Delayed by greylisting',
  }),
  ...dmsFilterSwitchSpecs(),
  MOVE_SPAM_TO_JUNK: flag({
    default: true,
    desc: "Mail rspamd marks as spam is filed into Junk by a Sieve rule before the user's own",
    example: '0',
  }),
  SPAM_SUBJECT: quotedText({
    default: undefined,
    whenUnset: 'subjects are left as they are',
    desc:
      'A prefix for the subject of mail rspamd marks as spam (`X-Spam: Yes`); quoted, a trailing space is kept. ' +
      'Printable ASCII without quotes, backslashes or `$`',
    example: "'[SPAM] '",
  }),
  DKIM_SELECTOR: selector({
    default: 'mail',
    desc:
      'The selector of the DKIM key made for each domain at its first start (`SELECTOR._domainkey.DOMAIN`); ' +
      '`idmail dkim rotate` derives new ones from it',
    example: 'idmail',
  }),
  DKIM_KEY_SIZE: choice<(typeof DKIM_KEY_BITS)[number]>(DKIM_KEY_BITS)({
    default: '2048',
    desc: 'Bits of the RSA keys made for DKIM (1024 only for DNS hosts that cannot take longer records)',
    example: '4096',
  }),
};

type FilterEnv = CleanedEnv<typeof filterSpecs>;

export function filterProblems(env: FilterEnv): string[] {
  const problems: string[] = [];
  if (env.RSPAMD_GREYLISTING && !(rspamdOn(env) && redisOn(env))) {
    problems.push(
      'RSPAMD_GREYLISTING: greylisting keeps its memory in Redis; allowed: with ENABLE_RSPAMD=1 and ENABLE_RSPAMD_REDIS=1, or RSPAMD_GREYLISTING=0',
    );
  }
  if (env.ENABLE_POSTGREY && !(rspamdOn(env) && redisOn(env))) {
    problems.push(
      "ENABLE_POSTGREY: greylisting is rspamd's here and keeps its memory in Redis; allowed: with rspamd on and ENABLE_RSPAMD_REDIS=1 or unset, or ENABLE_POSTGREY=0",
    );
  }
  if (env.POSTGREY_DELAY > 86_400)
    problems.push(`POSTGREY_DELAY: "${env.POSTGREY_DELAY}" seconds is over a day; allowed: 0 to 86400`);
  if (env.POSTGREY_MAX_AGE !== undefined && !(env.POSTGREY_MAX_AGE >= 1 && env.POSTGREY_MAX_AGE <= 3650))
    problems.push(`POSTGREY_MAX_AGE: "${env.POSTGREY_MAX_AGE}" days; allowed: 1 to 3650`);
  if (env.SPAM_SUBJECT !== undefined && !rspamdOn(env)) {
    problems.push(
      'SPAM_SUBJECT: spam is what rspamd marks, and rspamd is off; allowed: with ENABLE_RSPAMD=1, or unset',
    );
  }
  if (env.ENABLE_RSPAMD_REDIS === true && !rspamdOn(env)) {
    problems.push('ENABLE_RSPAMD_REDIS: Redis is for rspamd, which is off; allowed: with ENABLE_RSPAMD=1, or 0');
  }
  return problems;
}

const dmsSwitchesOn = (env: FilterEnv): DmsFilterSwitch[] =>
  (Object.keys(DMS_FILTER_SWITCHES) as DmsFilterSwitch[]).filter((name) => env[name] === true);

const rspamdOn = (env: FilterEnv): boolean => env.ENABLE_RSPAMD || dmsSwitchesOn(env).length > 0;

const redisOn = (env: FilterEnv): boolean => env.ENABLE_RSPAMD_REDIS ?? env.ENABLE_POSTGREY;

/** Said once at start when docker-mailserver's switches overrule ENABLE_RSPAMD=0. */
export function filterWarnings(env: FilterEnv): string[] {
  const switches = dmsSwitchesOn(env);
  if (env.ENABLE_RSPAMD || switches.length === 0) return [];
  return [
    `ENABLE_RSPAMD=0, but ${switches.map((name) => `${name}=1`).join(', ')} ask for what rspamd does here: rspamd is on (set them to 0 as well for no filter)`,
  ];
}

export function filterSettings(env: FilterEnv): FilterSettings | undefined {
  if (!rspamdOn(env)) return undefined;
  return {
    redis: redisOn(env),
    greylisting:
      env.RSPAMD_GREYLISTING || env.ENABLE_POSTGREY
        ? {
            delaySeconds: env.POSTGREY_DELAY,
            maxAgeDays: env.POSTGREY_MAX_AGE ?? (env.ENABLE_POSTGREY ? DMS_POSTGREY_MAX_AGE : undefined),
            message: env.POSTGREY_TEXT,
          }
        : undefined,
    moveSpamToJunk: env.MOVE_SPAM_TO_JUNK,
    spamSubject: env.SPAM_SUBJECT,
    dkim: { selector: env.DKIM_SELECTOR, keyBits: Number(env.DKIM_KEY_SIZE) as DkimKeyBits },
  };
}
