/**
 * Login load: many concurrent connections, each looping connect → AUTHENTICATE → LOGOUT (IMAP)
 * or connect → EHLO → STARTTLS → AUTH → one message → QUIT (SMTP submission), for a fixed time
 * after a warm-up that is not counted. Every loop is bounded by the deadline and a per-step timeout.
 */
import { CLOSED, LineClient, plain, TIMED_OUT, xoauth2 } from '../test/support/sasl.ts';

/** What one login presents: a SASL mechanism and its initial response (base64). */
export interface Credential {
  mechanism: string;
  initialResponse: string;
  /** The mail address, for MAIL FROM / RCPT TO in SMTP runs. */
  address: string;
}

export interface LoadOptions {
  protocol: 'imap' | 'smtp';
  host: string;
  port: number;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** The credential for a worker's n-th login. */
  credential: (worker: number, iteration: number) => Credential;
  /** Stop after this many logins in all (for bounded passes such as cache warming). */
  maxLogins?: number;
}

export interface LoadResult {
  logins: number;
  loginsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** Errors by kind (refused, timeout, ECONNRESET…), warm-up included. */
  errorKinds: Record<string, number>;
  /** Logins attempted in all, warm-up included (for IdP requests per 1 000 logins). */
  attempted: number;
}

const STEP_TIMEOUT_MS = 10_000;

/** Reads up to a line matching `pattern` and returns that line; throws the failure's kind when it never comes. */
async function answer(client: LineClient, pattern: RegExp): Promise<string> {
  const last = (await client.readUntil(pattern, STEP_TIMEOUT_MS)).split('\r\n').at(-1) ?? '';
  if (last.endsWith(CLOSED) || last.endsWith(TIMED_OUT)) throw new Error(client.failure ?? last);
  return last;
}

async function expectCode(client: LineClient, code: string): Promise<void> {
  const line = await answer(client, /^\d{3} /);
  if (!line.startsWith(code))
    throw new Error(line.startsWith('5') || line.startsWith('4') ? `smtp ${line.slice(0, 3)}` : 'unexpected answer');
}

async function imapLogin(host: string, port: number, credential: Credential): Promise<void> {
  const client = await LineClient.connect(host, port);
  try {
    await answer(client, /^\* OK/);
    client.send(`a AUTHENTICATE ${credential.mechanism} ${credential.initialResponse}`);
    if (!(await answer(client, /^a /)).startsWith('a OK')) throw new Error('refused');
    client.send('b LOGOUT');
    await answer(client, /^b /);
  } finally {
    client.close();
  }
}

async function smtpSubmission(host: string, port: number, credential: Credential): Promise<void> {
  const client = await LineClient.connect(host, port);
  try {
    await expectCode(client, '220');
    client.send('EHLO bench.example');
    await expectCode(client, '250');
    client.send('STARTTLS');
    await expectCode(client, '220');
    await client.startTls();
    client.send('EHLO bench.example');
    await expectCode(client, '250');
    client.send(`AUTH ${credential.mechanism} ${credential.initialResponse}`);
    if (!(await answer(client, /^\d{3} /)).startsWith('235')) throw new Error('refused');
    for (const [command, code] of [
      [`MAIL FROM:<${credential.address}>`, '250'],
      [`RCPT TO:<${credential.address}>`, '250'],
      ['DATA', '354'],
    ] as const) {
      client.send(command);
      await expectCode(client, code);
    }
    client.send('Subject: bench\r\n\r\none message per login\r\n.');
    await expectCode(client, '250');
    client.send('QUIT');
    await expectCode(client, '221');
  } finally {
    client.close();
  }
}

const percentile = (sorted: number[], share: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] ?? Number.NaN;

/** Runs the load and returns throughput, latency percentiles and errors of the measured window. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const login = options.protocol === 'imap' ? imapLogin : smtpSubmission;
  const started = performance.now();
  const measureFrom = started + options.warmupMs;
  const end = measureFrom + options.durationMs;
  const latencies: number[] = [];
  const errorKinds: Record<string, number> = {};
  let attempted = 0;
  let measuredErrors = 0;

  const worker = async (index: number) => {
    for (let iteration = 0; performance.now() < end && attempted < (options.maxLogins ?? Infinity); iteration += 1) {
      attempted += 1;
      const begin = performance.now();
      try {
        await login(options.host, options.port, options.credential(index, iteration));
        if (begin >= measureFrom) latencies.push(performance.now() - begin);
      } catch (error) {
        const kind = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
        if (begin >= measureFrom) measuredErrors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, index) => worker(index)));
  const measuredSeconds = Math.max(0.001, (Math.min(performance.now(), end) - measureFrom) / 1000);
  const sorted = latencies.sort((a, b) => a - b);
  return {
    logins: sorted.length,
    loginsPerSecond: sorted.length / measuredSeconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    errors: measuredErrors,
    errorKinds,
    attempted,
  };
}

/** Credentials built with the test suite's SASL encoders. */
export const credentials = {
  xoauth2: (user: string, token: string): Credential => ({
    mechanism: 'XOAUTH2',
    initialResponse: xoauth2(user, token),
    address: user,
  }),
  plain: (user: string, password: string): Credential => ({
    mechanism: 'PLAIN',
    initialResponse: plain(user, password),
    address: user,
  }),
};
