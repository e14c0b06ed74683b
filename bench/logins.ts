/**
 * Login throughput: idmail against Dovecot's own ceiling and against what users run today, all in
 * one run on this machine. Prints a table and writes bench/results/logins.json.
 *
 *   npm run bench            (cold start first, then this)
 *   BENCH_SECONDS=10 BENCH_WARMUP_SECONDS=3 BENCH_CONCURRENCY=16 BENCH_ROUNDS=3 node bench/logins.ts
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { CLIENT, ISSUER, USERS } from '../test/support/idp.ts';
import { buildServiceImages, MAIL_IMAGE } from '../test/support/images.ts';
import {
  type Appliance,
  buildDovecotLdapImage,
  DOVECOT_LDAP_IMAGE,
  dovecotLdapPassdb,
  instantIntrospection,
  LDAP_ENV,
  type Memory,
  memoryOf,
  type Peers,
  rewriteDovecot,
  SLOW_ISSUER,
  startAppliance,
  startInstantIntrospection,
  startPeers,
  staticPassdb,
  userinfoOauth2,
} from './bench-stack.ts';
import { type Credential, credentials, type LoadResult, runLoad } from './load-generator.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
/** A lightly loaded server: latency, not CPU, bounds the logins of so few connections. */
const FEW_CONNECTIONS = Number(process.env.BENCH_FEW_CONNECTIONS ?? 4);
/** Setups compared with each other run in turn, round after round; each one's figure is its median round. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
// Even counts: each level's tokens and accounts are shared by the two people alike.
const TOKEN_LEVELS = [2, 100, 1000, 10_000];
const ACCOUNT_LEVELS = [2, 1000, 10_000, 100_000];
const PEOPLE = [USERS.alice, USERS.bob];

interface Row extends LoadResult {
  name: string;
  idpRequestsPer1000: number;
}

/** One setup of a comparison: how its appliance is made and what a login presents to it. */
interface Setup {
  name: string;
  env: Record<string, string>;
  image?: string;
  rewrite?: (conf: string) => string;
  /** Run in the started appliance before its config is rewritten. */
  prepare?: (appliance: Appliance) => Promise<void>;
  credential: (worker: number, iteration: number) => Credential;
  protocol?: 'imap' | 'smtp';
  /** Connections looping at once, when not CONCURRENCY. */
  concurrency?: number;
}

/** The median rows of the comparisons, and every round of them. */
const rows: Row[] = [];
const roundRows: Array<Row & { round: number }> = [];
const run = promisify(execFile);

const totalRequests = async (peers: Peers) =>
  Object.values(await peers.idp.requests()).reduce((sum, count) => sum + count, 0);

/** One measured load against an appliance, with the IdP requests it caused. */
async function measure(
  peers: Peers,
  name: string,
  appliance: Appliance,
  credential: Setup['credential'],
  protocol: 'imap' | 'smtp' = 'imap',
  concurrency = CONCURRENCY,
): Promise<Row> {
  const before = await totalRequests(peers);
  const result = await runLoad({
    protocol,
    host: appliance.host,
    port: protocol === 'imap' ? 143 : 587,
    concurrency,
    warmupMs: WARMUP_SECONDS * 1000,
    durationMs: SECONDS * 1000,
    credential,
  });
  return { name, ...result, idpRequestsPer1000: ((await totalRequests(peers)) - before) / (result.attempted / 1000) };
}

/** Starts an appliance, optionally rewrites its Dovecot config, runs `body`, stops it. */
async function withAppliance<T>(
  peers: Peers,
  setup: Pick<Setup, 'env' | 'image' | 'prepare' | 'rewrite'>,
  body: (appliance: Appliance) => Promise<T>,
): Promise<T> {
  const appliance = await startAppliance(peers, setup.env, setup.image);
  try {
    await setup.prepare?.(appliance);
    if (setup.rewrite) await rewriteDovecot(appliance, setup.rewrite);
    return await body(appliance);
  } finally {
    await appliance.stop();
  }
}

/** Every setup's appliance at once (idle ones cost nothing), so the rounds can take turns. */
async function withAppliances<T>(
  peers: Peers,
  setups: Setup[],
  body: (appliances: Appliance[]) => Promise<T>,
  started: Appliance[] = [],
): Promise<T> {
  const [first, ...rest] = setups;
  if (first === undefined) return body(started);
  return withAppliance(peers, first, (appliance) => withAppliances(peers, rest, body, [...started, appliance]));
}

type Hook = (appliances: Appliance[]) => Promise<void>;

const median = (candidates: Row[]) =>
  [...candidates].sort((a, b) => a.loginsPerSecond - b.loginsPerSecond)[Math.floor(candidates.length / 2)] as Row;

/**
 * Measures the setups in turn, ROUNDS times, and keeps each one's median round: this machine's
 * speed drifts by ±10 % between runs, and taking turns spreads the drift over all of them alike.
 */
async function compare(
  peers: Peers,
  setups: Setup[],
  hooks: { beforeRounds?: Hook; afterRounds?: Hook } = {},
): Promise<void> {
  await withAppliances(peers, setups, async (appliances) => {
    await hooks.beforeRounds?.(appliances);
    const measured = setups.map((): Row[] => []);
    for (let round = 1; round <= ROUNDS; round += 1) {
      for (const [index, setup] of setups.entries()) {
        const row = await measure(
          peers,
          setup.name,
          appliances[index] as Appliance,
          setup.credential,
          setup.protocol,
          setup.concurrency,
        );
        measured[index]?.push(row);
        roundRows.push({ ...row, round });
        console.log(`  round ${round}: ${format(row)}`);
      }
    }
    for (const candidates of measured) {
      rows.push(median(candidates));
      console.log(format(median(candidates)));
    }
    await hooks.afterRounds?.(appliances);
  });
}

const byWorker = (tokens: string[]) => (worker: number) =>
  credentials.xoauth2(PEOPLE[worker % 2]!.address, tokens[worker % 2]!);
const plainStatic = (worker: number) => credentials.plain(PEOPLE[worker % 2]!.address, 'x');
// Valid for the whole run: the test IdP's own 10 minutes would end before the last comparisons.
const RUN_LIFETIME_SECONDS = 3 * 3600;
const jwtFor = (peers: Peers, address: string, extra: Record<string, unknown> = {}) =>
  peers.idp.mint({
    aud: 'urn:idmail',
    email: address,
    sub: address,
    exp: Math.floor(Date.now() / 1000) + RUN_LIFETIME_SECONDS,
    ...extra,
  });

const JWT_ENV = { ENABLE_OAUTH2: '1', OAUTH2_ISSUER: ISSUER, OAUTH2_AUDIENCE: 'urn:idmail', OAUTH2_ALLOW_HTTP: '1' };
const introspectionEnv = (issuer: string) => ({
  ...JWT_ENV,
  OAUTH2_INTROSPECTION_URL: `${issuer}/token/introspection`,
  OAUTH2_CLIENT_ID: CLIENT.id,
  OAUTH2_CLIENT_SECRET: CLIENT.secret,
});
const UNCACHED = { OAUTH2_CACHE_MAX_TTL: '0' };

interface Extras {
  memory: { atRest: Memory; underLoad: Memory };
  tokenScaling: Array<{ tokens: number; loginsPerSecond: number; p50Ms: number; p99Ms: number }>;
  accountScaling: Array<{ accounts: number; loginsPerSecond: number; p50Ms: number; p99Ms: number }>;
}

/** Peak memory while `load` runs, sampled every second (each sample is a `docker exec`: never during a measured run). */
async function peakMemory(appliance: Appliance, load: () => Promise<unknown>): Promise<Memory> {
  const samples: Array<Promise<Memory>> = [];
  const sampler = setInterval(() => samples.push(memoryOf(appliance)), 1000);
  await load().finally(() => clearInterval(sampler));
  // A sample taken under load may answer after the load ends: every one counts.
  const taken = await Promise.all(samples);
  const most = (pick: (memory: Memory) => number) => Math.max(0, ...taken.map(pick));
  return {
    helperMiB: most((m) => m.helperMiB),
    rspamdMiB: most((m) => m.rspamdMiB),
    supervisionMiB: most((m) => m.supervisionMiB),
    totalMiB: most((m) => m.totalMiB),
  };
}

/** The ceiling and JWT sign-ins; then the JWT appliance's memory at rest and under the same load. */
async function ceilingAndJwt(peers: Peers, jwts: string[]): Promise<Extras['memory']> {
  let atRest: Memory | undefined;
  let underLoad: Memory | undefined;
  await compare(
    peers,
    [
      {
        name: '1 ceiling: Dovecot static passdb (PLAIN)',
        env: JWT_ENV,
        rewrite: staticPassdb,
        credential: plainStatic,
      },
      { name: '2 idmail XOAUTH2 JWT, cached', env: JWT_ENV, credential: byWorker(jwts) },
      {
        name: '2 idmail XOAUTH2 JWT, first seen (cache off)',
        env: { ...JWT_ENV, ...UNCACHED },
        credential: byWorker(jwts),
      },
      {
        name: '2 hop only: oauth2 → Node answering at once',
        env: JWT_ENV,
        prepare: (appliance) =>
          startInstantIntrospection(
            appliance,
            Object.fromEntries(jwts.map((jwt, index) => [jwt, PEOPLE[index]!.address])),
          ),
        rewrite: instantIntrospection,
        credential: byWorker(jwts),
      },
    ],
    {
      beforeRounds: async ([, jwt]) => {
        atRest = await memoryOf(jwt as Appliance);
      },
      afterRounds: async ([, jwt]) => {
        const load = () => measure(peers, 'memory under load', jwt as Appliance, byWorker(jwts));
        underLoad = await peakMemory(jwt as Appliance, load);
      },
    },
  );
  return { atRest: atRest as Memory, underLoad: underLoad as Memory };
}

async function introspectionAndUserinfo(peers: Peers): Promise<void> {
  // Introspected tokens meant for the mail server; the userinfo runs take the same kind (the IdP's userinfo accepts tokens of any audience).
  const opaque = await Promise.all(PEOPLE.map((person) => peers.idp.token(person, 'urn:idmail', 'opaque')));
  const runs = [
    ['', ISSUER, CONCURRENCY],
    [', IdP +10 ms', SLOW_ISSUER, CONCURRENCY],
    [`, IdP +10 ms, ${FEW_CONNECTIONS} conn.`, SLOW_ISSUER, FEW_CONNECTIONS],
  ] as const;
  for (const [label, issuer, concurrency] of runs) {
    await compare(peers, [
      {
        name: `3 idmail XOAUTH2 opaque, cache hit${label}`,
        env: introspectionEnv(issuer),
        credential: byWorker(opaque),
        concurrency,
      },
      {
        name: `3 idmail XOAUTH2 opaque, cache miss${label}`,
        env: { ...introspectionEnv(issuer), ...UNCACHED },
        credential: byWorker(opaque),
        concurrency,
      },
      {
        name: `4 DMS-style Dovecot oauth2 → userinfo${label}`,
        env: { ENABLE_OAUTH2: '1', OAUTH2_INTROSPECTION_URL: `${issuer}/me`, OAUTH2_ALLOW_HTTP: '1' },
        rewrite: userinfoOauth2(`${issuer}/me`),
        credential: byWorker(opaque),
        concurrency,
      },
    ]);
  }
}

async function ldapPasswords(peers: Peers): Promise<void> {
  const login = (worker: number) => credentials.plain(PEOPLE[worker % 2]!.address, PEOPLE[worker % 2]!.password);
  await compare(peers, [
    { name: '5 idmail PLAIN, LDAP bind', env: LDAP_ENV, credential: login },
    {
      name: "5 Dovecot's own LDAP passdb (auth bind)",
      env: LDAP_ENV,
      image: DOVECOT_LDAP_IMAGE,
      rewrite: dovecotLdapPassdb,
      credential: login,
    },
  ]);
}

async function submissions(peers: Peers, jwts: string[]): Promise<void> {
  await compare(peers, [
    { name: '6 idmail SMTP AUTH XOAUTH2 + message', env: JWT_ENV, credential: byWorker(jwts), protocol: 'smtp' },
    {
      name: '6 ceiling SMTP AUTH PLAIN static + message',
      env: JWT_ENV,
      rewrite: staticPassdb,
      credential: plainStatic,
      protocol: 'smtp',
    },
  ]);
}

/**
 * A login's credential for each token: the tokens alternate between the two people, as the
 * connections do in every other run (one person on all of them would meet Dovecot's limit of
 * connections per user and IP, mail_max_userip_connections).
 */
async function mintAlternating(peers: Peers, count: number): Promise<Credential[]> {
  const minted: Credential[] = [];
  while (minted.length < count) {
    const batch = Array.from({ length: 50 }, (_, index) => PEOPLE[(minted.length + index) % 2]!.address);
    minted.push(
      ...(await Promise.all(
        batch.map(async (address) =>
          credentials.xoauth2(address, await jwtFor(peers, address, { jti: crypto.randomUUID() })),
        ),
      )),
    );
  }
  return minted;
}

/** Latency with 2 … 10 000 distinct cached tokens in use (1 … 5 000 per person). */
async function tokenScaling(peers: Peers): Promise<Extras['tokenScaling']> {
  const minted = await mintAlternating(peers, Math.max(...TOKEN_LEVELS));
  return withAppliance(peers, { env: JWT_ENV }, async (mail) => {
    const levels: Extras['tokenScaling'] = [];
    for (const count of TOKEN_LEVELS) {
      const tokens = minted.slice(0, count);
      let next = 0;
      // First pass: every token seen once, so the measured run only meets cached ones.
      await runLoad({
        protocol: 'imap',
        host: mail.host,
        port: 143,
        concurrency: CONCURRENCY,
        warmupMs: 0,
        durationMs: 600_000,
        maxLogins: count,
        credential: () => tokens[next++ % count]!,
      });
      // A worker keeps to one person (its parity), whichever of that person's tokens it draws.
      const draw = (worker: number) => tokens[2 * Math.floor(Math.random() * (count / 2)) + (worker % 2)]!;
      const row = await measure(peers, `cached tokens in use: ${count}`, mail, draw);
      console.log(format(row));
      levels.push({ tokens: count, loginsPerSecond: row.loginsPerSecond, p50Ms: row.p50Ms, p99Ms: row.p99Ms });
    }
    return levels;
  });
}

const filler = (index: number) => `user${index}@example.test`;

/** The two people and count - 2 others. */
function accountsFile(count: number): string {
  const fillers = Array.from({ length: count - 2 }, (_, index) => `  ${filler(index)}: {}`);
  return `accounts:\n${PEOPLE.map((person) => `  ${person.address}: {}`).join('\n')}\n${fillers.join('\n')}\n`;
}

/** Latency with 2 … 100 000 accounts in the accounts file. */
async function accountScaling(peers: Peers, jwts: string[]): Promise<Extras['accountScaling']> {
  return withAppliance(peers, { env: JWT_ENV }, async (mail) => {
    const levels: Extras['accountScaling'] = [];
    for (const count of ACCOUNT_LEVELS) {
      await mail.container.copyContentToContainer([
        { content: accountsFile(count), target: '/etc/idmail/accounts.yaml' },
      ]);
      // The helper reads the new file on the next lookup after its check interval: wait until
      // the file's last account signs in (the two people are in every file).
      const newest = count > 2 ? filler(count - 3) : PEOPLE[0]!.address;
      const credential = credentials.xoauth2(newest, await jwtFor(peers, newest));
      const settle = {
        protocol: 'imap' as const,
        host: mail.host,
        port: 143,
        concurrency: 1,
        warmupMs: 0,
        durationMs: 1000,
        maxLogins: 1,
        credential: () => credential,
      };
      for (let attempt = 0; attempt < 60 && (await runLoad(settle)).logins === 0; attempt += 1)
        await new Promise((resolve) => setTimeout(resolve, 1000));
      const row = await measure(peers, `accounts in the file: ${count}`, mail, byWorker(jwts));
      console.log(format(row));
      levels.push({ accounts: count, loginsPerSecond: row.loginsPerSecond, p50Ms: row.p50Ms, p99Ms: row.p99Ms });
    }
    return levels;
  });
}

function format(row: Row): string {
  const errors = row.errors === 0 ? '0' : `${row.errors} ${JSON.stringify(row.errorKinds)}`;
  return `${row.name.padEnd(52)} ${row.loginsPerSecond.toFixed(0).padStart(7)} ${row.p50Ms.toFixed(1).padStart(7)} ${row.p99Ms.toFixed(1).padStart(7)} ${row.idpRequestsPer1000.toFixed(2).padStart(9)}  ${errors}`;
}

const rate = (prefix: string) => rows.find((row) => row.name.startsWith(prefix))?.loginsPerSecond ?? Number.NaN;

function ratios() {
  const jwt = rate('2 idmail XOAUTH2 JWT, cached');
  return {
    jwtVsCeiling: jwt / rate('1 ceiling'),
    hopOnlyVsCeiling: rate('2 hop only') / rate('1 ceiling'),
    jwtVsHopOnly: jwt / rate('2 hop only'),
    jwtVsDms: jwt / rate('4 DMS-style Dovecot oauth2 → userinfo'),
    jwtVsDmsDelayed: jwt / rate('4 DMS-style Dovecot oauth2 → userinfo, IdP +10 ms'),
    introspectionHitVsDms: rate('3 idmail XOAUTH2 opaque, cache hit') / rate('4 DMS-style Dovecot oauth2 → userinfo'),
    introspectionHitVsDmsDelayed:
      rate('3 idmail XOAUTH2 opaque, cache hit, IdP +10 ms') /
      rate('4 DMS-style Dovecot oauth2 → userinfo, IdP +10 ms'),
    introspectionHitVsDmsDelayedFewConnections:
      rate(`3 idmail XOAUTH2 opaque, cache hit, IdP +10 ms, ${FEW_CONNECTIONS}`) /
      rate(`4 DMS-style Dovecot oauth2 → userinfo, IdP +10 ms, ${FEW_CONNECTIONS}`),
    ldapVsDovecotLdap: rate('5 idmail PLAIN, LDAP bind') / rate("5 Dovecot's own LDAP passdb"),
    smtpVsCeiling: rate('6 idmail SMTP') / rate('6 ceiling SMTP'),
  };
}

async function imageSizeMiB(): Promise<number> {
  const { stdout } = await run('docker', ['image', 'inspect', '--format', '{{.Size}}', MAIL_IMAGE]);
  return Number(stdout.trim()) / 1024 / 1024;
}

await buildServiceImages();
await buildDovecotLdapImage();
const HEADER = `${'setup'.padEnd(52)} ${'logins/s'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'IdP/1000'.padStart(9)}  errors`;
console.log(
  `${SECONDS} s per run after ${WARMUP_SECONDS} s warm-up, ${CONCURRENCY} connections, ${ROUNDS} rounds; IMAP on 143 (cleartext allowed), SMTP on 587 with STARTTLS`,
);
console.log(HEADER);
const peers = await startPeers();
try {
  const jwts = await Promise.all(PEOPLE.map((person) => jwtFor(peers, person.address)));
  const memory = await ceilingAndJwt(peers, jwts);
  await introspectionAndUserinfo(peers);
  await ldapPasswords(peers);
  await submissions(peers, jwts);
  const extras: Extras = {
    memory,
    tokenScaling: await tokenScaling(peers),
    accountScaling: await accountScaling(peers, jwts),
  };
  const coldStart = await readFile(new URL('results/cold-start.json', import.meta.url), 'utf8').then(
    (text) => JSON.parse(text) as { median: number },
    () => undefined,
  );
  const summary = {
    ratios: ratios(),
    imageSizeMiB: await imageSizeMiB(),
    coldStartMedianSeconds: coldStart?.median,
    ...extras,
  };
  console.log(`\nmedians of ${ROUNDS} rounds\n${HEADER}\n${rows.map(format).join('\n')}`);
  console.log(JSON.stringify(summary, null, 2));
  const results = new URL('results/', import.meta.url);
  await mkdir(results, { recursive: true });
  const settings = { seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, concurrency: CONCURRENCY, rounds: ROUNDS };
  await writeFile(
    new URL('logins.json', results),
    `${JSON.stringify({ date: new Date().toISOString(), settings, rows, ...summary, rounds: roundRows }, null, 2)}\n`,
  );
} finally {
  await peers.stop();
}
