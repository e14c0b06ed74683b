/**
 * Memory at rest, in three configurations (the accounts file with and without rspamd; OAuth2 with
 * self-service, as the compose demo): the appliance healthy, then left idle for SETTLE_SECONDS (20 by
 * default). Prints the helper's, rspamd's and the supervision tree's resident memory and the container's
 * total; writes bench/results/memory.json.
 *
 *   npm run bench:memory            (builds idmail:bench first)
 *   targets: helper ≤ 80 MiB resident, container ≤ 110 MiB without rspamd (rspamd's own share is stated)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { GenericContainer, Wait } from 'testcontainers';
import { ROOT } from '../test/support/images.ts';
import { MAIL_PORTS } from '../test/support/stack.ts';
import { type Memory, memoryOf } from './bench-stack.ts';

const IMAGE = 'idmail:bench';
const SETTLE_SECONDS = Number(process.env.SETTLE_SECONDS ?? 20);

const CONFIGURATIONS: Record<string, Record<string, string>> = {
  'accounts file (the default)': { OVERRIDE_HOSTNAME: 'mail.example.test' },
  'accounts file, ENABLE_RSPAMD=0': { OVERRIDE_HOSTNAME: 'mail.example.test', ENABLE_RSPAMD: '0' },
  'OAuth2 (JWT), self-service': {
    OVERRIDE_HOSTNAME: 'mail.example.test',
    MAIL_DOMAINS: 'example.test',
    ENABLE_OAUTH2: '1',
    OAUTH2_ISSUER: 'https://id.example.test',
    OAUTH2_AUDIENCE: 'mail',
  },
};

async function atRest(environment: Record<string, string>): Promise<Memory> {
  const container = await new GenericContainer(IMAGE)
    .withEnvironment(environment)
    // Podman lists every EXPOSEd port as a binding; testcontainers waits until all of them are bound.
    .withExposedPorts(...MAIL_PORTS)
    .withWaitStrategy(Wait.forHealthCheck())
    .start();
  try {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_SECONDS * 1000));
    return await memoryOf({ container });
  } finally {
    await container.stop();
  }
}

await GenericContainer.fromDockerfile(ROOT, 'image/Dockerfile').build(IMAGE, { deleteOnExit: false });
const results: Record<string, Memory> = {};
for (const [name, environment] of Object.entries(CONFIGURATIONS)) {
  const memory = await atRest(environment);
  results[name] = memory;
  console.log(`${name}:`);
  console.log(`  helper ${memory.helperMiB.toFixed(1)} MiB resident (target ≤ 80 MiB)`);
  console.log(
    `  rspamd ${memory.rspamdMiB.toFixed(1)} MiB resident (its processes share pages: the container total counts them once)`,
  );
  console.log(`  supervision (s6) ${memory.supervisionMiB.toFixed(1)} MiB resident`);
  const target = environment.ENABLE_RSPAMD === '0' ? ' (target ≤ 110 MiB)' : '';
  console.log(`  container ${memory.totalMiB.toFixed(1)} MiB${target}`);
}
const directory = new URL('results/', import.meta.url);
await mkdir(directory, { recursive: true });
const summary = { date: new Date().toISOString(), settleSeconds: SETTLE_SECONDS, ...results };
await writeFile(new URL('memory.json', directory), `${JSON.stringify(summary, null, 2)}\n`);
