/**
 * Cold start to healthy: `docker run` of the built image on a new volume, then `idmail health`
 * polled inside it until it passes. Prints each run and the median; writes bench/results/cold-start.json.
 *
 *   npm run bench:cold-start            (builds idmail:bench first; RUNS=5 by default)
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { GenericContainer } from 'testcontainers';
import { ROOT } from '../test/support/images.ts';

const run = promisify(execFile);
const IMAGE = 'idmail:bench';
const RUNS = Number(process.env.RUNS ?? 5);
const POLL_MS = 50;

/**
 * The probe loops inside the container, in one `docker exec` started with the container, at the lowest
 * priority: it should watch the start, not compete with it for the same two cores (a new exec for each
 * try costs the engine a quarter of a second each time).
 */
const PROBE = `until idmail health >/dev/null 2>&1; do sleep ${POLL_MS / 1000}; done`;

/**
 * The image's HEALTHCHECK is off for the measured container: the probe above does its work, and this
 * machine's engine runs a HEALTHCHECK about every second (Docker: every 5 s), in a process of its own.
 */
async function healthyAfter(name: string): Promise<number> {
  const started = performance.now();
  const environment = ['-e', 'OVERRIDE_HOSTNAME=mail.example.test'];
  await run('docker', ['run', '-d', '--no-healthcheck', '--name', name, ...environment, IMAGE]);
  try {
    await run('docker', ['exec', name, 'timeout', '60', 'nice', '-n', '19', 'sh', '-c', PROBE]);
    return (performance.now() - started) / 1000;
  } finally {
    await run('docker', ['rm', '-f', name]);
  }
}

async function execOverhead(): Promise<number> {
  const name = `idmail-bench-exec-${process.pid}`;
  await run('docker', ['run', '-d', '--name', name, '--entrypoint', 'sleep', IMAGE, '60']);
  try {
    const started = performance.now();
    await run('docker', ['exec', name, 'idmail', 'health']).catch(() => undefined);
    return (performance.now() - started) / 1000;
  } finally {
    await run('docker', ['rm', '-f', name]);
  }
}

await GenericContainer.fromDockerfile(ROOT, 'image/Dockerfile').build(IMAGE, { deleteOnExit: false });
const seconds: number[] = [];
for (let index = 0; index < RUNS; index += 1) {
  seconds.push(await healthyAfter(`idmail-bench-cold-${process.pid}-${index}`));
  console.log(`run ${index + 1}: healthy after ${seconds.at(-1)!.toFixed(2)} s`);
}
const median = seconds.toSorted((a, b) => a - b)[Math.floor(seconds.length / 2)]!;
const overhead = await execOverhead();
console.log(`median ${median.toFixed(2)} s from docker run to a passing health check (target < 3 s)`);
console.log(`of which one "docker exec idmail health" costs ${overhead.toFixed(2)} s by itself`);
const results = new URL('results/', import.meta.url);
await mkdir(results, { recursive: true });
await writeFile(
  new URL('cold-start.json', results),
  `${JSON.stringify({ date: new Date().toISOString(), runs: seconds, median, execOverhead: overhead }, null, 2)}\n`,
);
