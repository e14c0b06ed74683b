import assert from 'node:assert/strict';
import { GenericContainer, type StartedNetwork, type StartedTestContainer, Wait } from 'testcontainers';
import { DNS_IMAGE } from './images.ts';

/** The test network's DNS (dnsmasq): the records the tests give it, refusals for the rest of the world. */
export interface DnsFixture {
  container: StartedTestContainer;
  /** Its address on the network, for the appliances' resolver. */
  address: string;
  /** Replaces the zone with these records (dnsmasq config lines: see the helpers below) and waits until served. */
  setRecords(records: readonly string[]): Promise<void>;
}

// dnsmasq's --txt-record takes its strings comma-separated; each holds at most 255 characters.
const txtStrings = (value: string) => (value.match(/.{1,255}/g) ?? ['']).map((part) => `"${part}"`).join(',');

export const dnsRecords = {
  address: (name: string, ip: string) => `host-record=${name},${ip}`,
  mx: (domain: string, host: string) => `mx-host=${domain},${host},10`,
  txt: (name: string, value: string) => `txt-record=${name},${txtStrings(value)}`,
};

export async function startDns(network: StartedNetwork): Promise<DnsFixture> {
  const container = await new GenericContainer(DNS_IMAGE)
    .withNetwork(network)
    .withWaitStrategy(Wait.forHealthCheck())
    .start();
  let serial = 0;
  const setRecords = async (records: readonly string[]) => {
    const zone = [...records, dnsRecords.txt('serial.dns.test', String(++serial)), ''].join('\n');
    const write = await container.exec([
      'sh',
      '-c',
      `echo ${Buffer.from(zone).toString('base64')} | base64 -d > /etc/dnsmasq-zone/records.conf && kill "$(cat /run/dnsmasq.pid)"`,
    ]);
    assert.equal(write.exitCode, 0, write.output);
    for (let attempt = 0; attempt < 50; attempt++) {
      const answer = await container.exec(['dig', '+short', '+time=1', '@127.0.0.1', 'serial.dns.test', 'TXT']);
      if (answer.output.trim() === `"${serial}"`) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.fail(`dnsmasq did not serve zone ${serial}`);
  };
  return { container, address: container.getIpAddress(network.getName()), setRecords };
}
