import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GenericContainer, type StartedNetwork, type StartedTestContainer, Wait } from 'testcontainers';
import { DNS_IMAGE } from './images.ts';

const run = promisify(execFile);

/** The test network's DNS (dnsmasq): the records the tests give it, nothing else under .test and .example. */
export interface DnsFixture {
  container: StartedTestContainer;
  /** Its address on the network, for the appliances' resolver. */
  address: string;
  /** Replaces the zone with these records (dnsmasq config lines: see dnsRecords) and waits until served. */
  setRecords(records: readonly string[]): Promise<void>;
}

// dnsmasq's --txt-record takes its strings comma-separated; each holds at most 255 characters.
const txtStrings = (value: string) => (value.match(/.{1,255}/g) ?? ['']).map((part) => `"${part}"`).join(',');

export const dnsRecords = {
  address: (name: string, ip: string) => `host-record=${name},${ip}`,
  mx: (domain: string, host: string) => `mx-host=${domain},${host},10`,
  txt: (name: string, value: string) => `txt-record=${name},${txtStrings(value)}`,
};

type Exec = (command: string[]) => Promise<{ exitCode: number; output: string }>;

/** Writes the zone, restarts dnsmasq on it (serve.sh's loop) and waits until the zone's serial answers. */
async function applyZone(exec: Exec, records: readonly string[], serial: number): Promise<void> {
  const zone = [...records, dnsRecords.txt('serial.dns.test', String(serial)), ''].join('\n');
  const write = await exec([
    'sh',
    '-c',
    `echo ${Buffer.from(zone).toString('base64')} | base64 -d > /etc/dnsmasq-zone/records.conf && kill "$(cat /run/dnsmasq.pid)"`,
  ]);
  assert.equal(write.exitCode, 0, write.output);
  for (let attempt = 0; attempt < 50; attempt++) {
    const answer = await exec(['dig', '+short', '+time=1', '@127.0.0.1', 'serial.dns.test', 'TXT']);
    if (answer.output.trim() === `"${serial}"`) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`dnsmasq did not serve zone ${serial}`);
}

export async function startDns(network: StartedNetwork): Promise<DnsFixture> {
  const container = await new GenericContainer(DNS_IMAGE)
    .withNetwork(network)
    .withWaitStrategy(Wait.forHealthCheck())
    .start();
  let serial = 0;
  const exec: Exec = (command) => container.exec(command);
  return {
    container,
    address: container.getIpAddress(network.getName()),
    setRecords: (records) => applyZone(exec, records, ++serial),
  };
}

/** The same DNS run with the docker CLI on the engine's default network, for appliances a test runs that way. */
export async function startNamedDns(
  name: string,
  records: readonly string[],
): Promise<{ address: string; remove: () => Promise<void> }> {
  await run('docker', ['run', '-d', '--name', name, DNS_IMAGE]);
  const remove = () => run('docker', ['rm', '-f', name]).then(() => undefined);
  try {
    const exec: Exec = (command) =>
      run('docker', ['exec', name, ...command]).then(
        ({ stdout, stderr }) => ({ exitCode: 0, output: stdout + stderr }),
        (error: { code?: number; stdout?: string; stderr?: string }) => ({
          exitCode: error.code ?? 1,
          output: `${error.stdout ?? ''}${error.stderr ?? ''}`,
        }),
      );
    await applyZone(exec, records, 1);
    const { stdout } = await run('docker', [
      'inspect',
      '--format',
      '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}',
      name,
    ]);
    return { address: stdout.trim(), remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
