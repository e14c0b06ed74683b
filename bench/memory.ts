/**
 * Memory at rest: the appliance as `docker compose up` starts it (no mail filter), healthy, then left
 * idle for SETTLE_SECONDS (20 by default). Prints the helper's and the supervision tree's resident
 * memory and the container's total; writes bench/results/memory.json.
 *
 *   npm run bench:memory            (builds idmail:bench first)
 *   targets: helper ≤ 80 MiB resident, container ≤ 110 MiB
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { GenericContainer, Wait } from 'testcontainers';
import { ROOT } from '../test/support/images.ts';
import { MAIL_PORTS } from '../test/support/stack.ts';
import { memoryOf } from './bench-stack.ts';

const IMAGE = 'idmail:bench';
const SETTLE_SECONDS = Number(process.env.SETTLE_SECONDS ?? 20);

await GenericContainer.fromDockerfile(ROOT, 'image/Dockerfile').build(IMAGE, { deleteOnExit: false });
const container = await new GenericContainer(IMAGE)
  .withEnvironment({ OVERRIDE_HOSTNAME: 'mail.example.test' })
  // Podman lists every EXPOSEd port as a binding; testcontainers waits until all of them are bound.
  .withExposedPorts(...MAIL_PORTS)
  .withWaitStrategy(Wait.forHealthCheck())
  .start();
try {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_SECONDS * 1000));
  const memory = await memoryOf({ container });
  console.log(`helper ${memory.helperMiB.toFixed(1)} MiB resident (target ≤ 80 MiB)`);
  console.log(`supervision (s6) ${memory.supervisionMiB.toFixed(1)} MiB resident`);
  console.log(`container ${memory.totalMiB.toFixed(1)} MiB (target ≤ 110 MiB)`);
  const results = new URL('results/', import.meta.url);
  await mkdir(results, { recursive: true });
  await writeFile(
    new URL('memory.json', results),
    `${JSON.stringify({ date: new Date().toISOString(), settleSeconds: SETTLE_SECONDS, ...memory }, null, 2)}\n`,
  );
} finally {
  await container.stop();
}
