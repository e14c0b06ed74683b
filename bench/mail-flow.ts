/**
 * The mail flow with rspamd: SMTP submission (587, signed in, DKIM-signed) with the filter against the same
 * appliance with ENABLE_RSPAMD=0 (the ratio), inbound delivery on port 25 through the filter (messages per
 * second), and the container's memory at rest and under that load. Writes bench/results/mail-flow.json.
 *
 *   npm run bench:mail-flow            (DURATION_SECONDS=20, CONCURRENCY=8 by default)
 *   target: submission with signing ≥ 0.8× without
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { buildServiceImages } from '../test/support/images.ts';
import { LineClient, plain } from '../test/support/sasl.ts';
import { CAROL_PASSWORD, STRANGER_DOMAIN, startNetwork } from '../test/support/stack.ts';
import { type Appliance, type Memory, memoryOf, startAppliance } from './bench-stack.ts';
import { type LoadResult, runLoad } from './load-generator.ts';

const DURATION_MS = Number(process.env.DURATION_SECONDS ?? 20) * 1000;
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8);
const WARMUP_MS = 3_000;
const CAROL = 'carol@example.test';
const STEP_TIMEOUT_MS = 10_000;

function submission(appliance: Appliance): Promise<LoadResult> {
  const credential = { mechanism: 'PLAIN', initialResponse: plain(CAROL, CAROL_PASSWORD), address: CAROL };
  return runLoad({
    protocol: 'smtp',
    host: appliance.host,
    port: 587,
    concurrency: CONCURRENCY,
    warmupMs: WARMUP_MS,
    durationMs: DURATION_MS,
    credential: () => credential,
  });
}

async function expect(client: LineClient, code: string): Promise<void> {
  const reply = (await client.readUntil(/^\d{3} /, STEP_TIMEOUT_MS)).split('\r\n').at(-1) ?? '';
  if (!reply.startsWith(code)) throw new Error(`smtp ${reply.slice(0, 3) || 'closed'}`);
}

/** One stranger's message on port 25 to carol: the path every inbound message takes, rspamd included. */
async function deliverOne(host: string): Promise<void> {
  const client = await LineClient.connect(host, 25);
  try {
    await expect(client, '220');
    for (const [command, code] of [
      [`EHLO client.${STRANGER_DOMAIN}`, '250'],
      [`MAIL FROM:<news@${STRANGER_DOMAIN}>`, '250'],
      [`RCPT TO:<${CAROL}>`, '250'],
      ['DATA', '354'],
    ] as const) {
      client.send(command);
      await expect(client, code);
    }
    client.send(
      `From: <news@${STRANGER_DOMAIN}>\r\nTo: <${CAROL}>\r\nSubject: bench\r\nMessage-ID: <${crypto.randomUUID()}@${STRANGER_DOMAIN}>\r\nDate: ${new Date().toUTCString()}\r\n\r\nOne message of the inbound bench.\r\n.`,
    );
    await expect(client, '250');
    client.send('QUIT');
  } finally {
    client.close();
  }
}

/** Inbound messages per second on port 25, and the memory sampled at the end of the run. */
async function inbound(appliance: Appliance): Promise<{ messagesPerSecond: number; errors: number; memory: Memory }> {
  const end = performance.now() + WARMUP_MS + DURATION_MS;
  const measureFrom = performance.now() + WARMUP_MS;
  let delivered = 0;
  let errors = 0;
  const worker = async () => {
    while (performance.now() < end) {
      const begin = performance.now();
      await deliverOne(appliance.host).then(
        () => {
          if (begin >= measureFrom) delivered += 1;
        },
        () => {
          errors += 1;
        },
      );
    }
  };
  const workers = Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS + DURATION_MS * 0.8));
  const memory = await memoryOf(appliance);
  await workers;
  return { messagesPerSecond: delivered / (DURATION_MS / 1000), errors, memory };
}

const format = (memory: Memory) =>
  `container ${memory.totalMiB.toFixed(1)} MiB (rspamd ${memory.rspamdMiB.toFixed(1)}, helper ${memory.helperMiB.toFixed(1)})`;

await buildServiceImages();
const { network, started, stop } = await startNetwork(5);
try {
  const peers = { network };
  const filtered = await startAppliance(peers, {});
  started.push(filtered.container);
  const bare = await startAppliance(peers, { ENABLE_RSPAMD: '0' });
  started.push(bare.container);
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  const atRest = await memoryOf(filtered);
  console.log(`at rest, rspamd on: ${format(atRest)}; rspamd off: ${format(await memoryOf(bare))}`);
  const withFilter = await submission(filtered);
  const without = await submission(bare);
  const ratio = withFilter.loginsPerSecond / without.loginsPerSecond;
  console.log(
    `submission (sign-in, one message, DKIM-signed): ${withFilter.loginsPerSecond.toFixed(1)}/s with rspamd (p50 ${withFilter.p50Ms.toFixed(0)} ms), ${without.loginsPerSecond.toFixed(1)}/s without (p50 ${without.p50Ms.toFixed(0)} ms): ${ratio.toFixed(2)}× (target ≥ 0.8×; errors ${withFilter.errors}/${without.errors})`,
  );
  const delivery = await inbound(filtered);
  console.log(
    `inbound on port 25 through rspamd: ${delivery.messagesPerSecond.toFixed(1)} messages/s (${delivery.errors} errors); under that load: ${format(delivery.memory)}`,
  );
  const results = new URL('results/', import.meta.url);
  await mkdir(results, { recursive: true });
  await writeFile(
    new URL('mail-flow.json', results),
    `${JSON.stringify({ concurrency: CONCURRENCY, durationMs: DURATION_MS, atRest, withFilter, without, ratio, delivery }, null, 2)}\n`,
  );
} finally {
  await stop();
}
