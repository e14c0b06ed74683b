import assert from 'node:assert/strict';
import {
  GenericContainer,
  getContainerRuntimeClient,
  Network,
  type StartedNetwork,
  type StartedTestContainer,
  Wait,
} from 'testcontainers';
import { type DnsFixture, dnsRecords, startDns } from './dns-fixture.ts';
import { ISSUER, TestIdp } from './idp.ts';
import { IDP_IMAGE, LDAP_IMAGE, MAIL_IMAGE } from './images.ts';

// Every port the image EXPOSEs (80: SSL_TYPE=acme): Podman lists each as a binding testcontainers must find mapped.
export const MAIL_PORTS = [25, 143, 993, 110, 995, 587, 465, 4190, 8443, 80];
/** The first appliance's name on the stack's network (the self-service page is https://mail:8443/). */
export const MAIL_HOST = 'mail';

export const ACCOUNTS_YAML = `accounts:
  alice@example.test: {}
  bob@example.test: {}
  carol@example.test:
    password: "{ARGON2ID}$argon2id$v=19$m=19456,t=2,p=1$gOvlCXHPUsTYcmqlQ/54bw$g3wUFDeNrzCLAgupCAtNZsVGPM3t3DjSOvNuTShicwQ"
aliases:
  team@example.test: [alice@example.test, bob@example.test]
`;
/** carol's password, matching the hash above. */
export const CAROL_PASSWORD = 'bob-password';

export const JWT_ENV = {
  OVERRIDE_HOSTNAME: 'mail.example.test',
  MAIL_DOMAINS: 'example.test',
  ENABLE_OAUTH2: '1',
  OAUTH2_ISSUER: ISSUER,
  OAUTH2_AUDIENCE: 'urn:idmail',
  // The test IdP speaks plain http on the stack's private network.
  OAUTH2_ALLOW_HTTP: '1',
  LOG_LEVEL: 'debug',
};

export interface Stack {
  network: StartedNetwork;
  /** The network's DNS: tests add the records their mail needs (MX, SPF, DKIM, DMARC). */
  dns: DnsFixture;
  idp: TestIdp;
  idpContainer: StartedTestContainer;
  /** The test directory (slapd), when the stack was started with one. */
  ldap: StartedTestContainer | undefined;
  mail: StartedTestContainer;
  logs: () => string;
  /** Another appliance on the same network (same IdP and directory), stopped with the stack; `ports` are published besides the mail ports, `aliases` are its names on the network. */
  startMail(env: Record<string, string>, ports?: number[], aliases?: string[]): Promise<Appliance>;
  stop(): Promise<void>;
}

export interface Appliance {
  container: StartedTestContainer;
  logs: () => string;
}

const IDP_LDAP_FEDERATION = {
  IDP_LDAP_URL: 'ldap://ldap',
  IDP_LDAP_BASE: 'ou=people,dc=example,dc=test',
  IDP_LDAP_BIND_DN: 'cn=idmail,ou=services,dc=example,dc=test',
  IDP_LDAP_BIND_PW: 'idmail-service-password',
};

/** Where the appliance finds the test directory's CA (StartTLS to slapd). */
export const LDAP_CA_FILE = '/etc/idmail/ldap-ca.pem';

/** The sender domain of inbound test mail: it exists in the test DNS, as Postfix requires (reject_unknown_sender_domain). */
export const STRANGER_DOMAIN = 'elsewhere.example';

/** The name inbound test mail says HELO with: a stranger's server that exists (rspamd scores a bare IP as spam). */
export const STRANGER_HELO = `client.${STRANGER_DOMAIN}`;

/** The records every test network's DNS starts with. */
export const BASE_RECORDS = [
  dnsRecords.address(STRANGER_DOMAIN, '192.0.2.25'),
  dnsRecords.address(STRANGER_HELO, '192.0.2.25'),
];

const dnsOfNetwork = new WeakMap<StartedNetwork, DnsFixture>();

/** The DNS of a network startNetwork made: appliances on it resolve through it. */
export function dnsOf(network: StartedNetwork): DnsFixture {
  const dns = dnsOfNetwork.get(network);
  assert.ok(dns, 'a network from startNetwork has its DNS');
  return dns;
}

/**
 * A new network with its DNS (the test domains' records; see dns-fixture.ts) and the containers
 * started on it; `stop` stops them in reverse order, then removes the network.
 */
export async function startNetwork(stopTimeoutSeconds: number) {
  const network = await new Network().start();
  const started: StartedTestContainer[] = [];
  const stop = async () => {
    for (const container of started.reverse())
      await container.stop({ timeout: stopTimeoutSeconds }).catch(() => undefined);
    await network.stop().catch(() => undefined);
  };
  try {
    const dns = await startDns(network);
    started.push(dns.container);
    await dns.setRecords(BASE_RECORDS);
    dnsOfNetwork.set(network, dns);
    return { network, started, stop, dns };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The test IdP on a network, as `idp`, with its test endpoints. */
export function startIdp(network: StartedNetwork, env: Record<string, string> = {}): Promise<StartedTestContainer> {
  return new GenericContainer(IDP_IMAGE)
    .withNetwork(network)
    .withNetworkAliases('idp')
    .withEnvironment({ IDP_ISSUER: ISSUER, IDP_TEST_ENDPOINTS: '1', ...env })
    .withExposedPorts(8080)
    .withWaitStrategy(Wait.forHttp('/health', 8080))
    .start();
}

/** The test IdP (and optionally slapd) and the appliance on one network, as compose runs them. Stops and removes all. */
export async function startStack(
  env: Record<string, string>,
  options: { ldap?: boolean; files?: { content: string; target: string }[] } = {},
): Promise<Stack> {
  const { network, started, stop, dns } = await startNetwork(10);
  try {
    const ldap = options.ldap ? await startDirectory(network) : undefined;
    if (ldap) started.push(ldap);
    // With a directory, the IdP checks passwords there (LDAP federation): one password per person.
    const idpContainer = await startIdp(network, {
      IDP_WEB_REDIRECT_URIS: `https://${MAIL_HOST}:8443/`,
      ...(ldap ? IDP_LDAP_FEDERATION : {}),
    });
    started.push(idpContainer);
    const files = [{ content: ACCOUNTS_YAML, target: '/etc/idmail/accounts.yaml' }];
    if (ldap) files.push({ content: (await ldap.exec(['cat', '/etc/ldap/tls/ca.pem'])).output, target: LDAP_CA_FILE });
    // Files a test puts into the appliance before it starts (its certificate, say).
    files.push(...(options.files ?? []));
    let appliances = 0;
    const startMail = async (mailEnv: Record<string, string>, ports: number[] = [], aliases: string[] = []) => {
      // Only the first appliance answers to MAIL_HOST; the others to their `aliases` (a relay host, say) and mapped ports.
      const names = appliances++ === 0 ? [MAIL_HOST, ...aliases] : aliases;
      const appliance = await startAppliance(network, mailEnv, files, names, ports);
      started.push(appliance.container);
      return appliance;
    };
    const { container: mail, logs } = await startMail(env);
    const idp = new TestIdp(`http://${idpContainer.getHost()}:${idpContainer.getMappedPort(8080)}`);
    return { network, dns, idp, idpContainer, ldap, mail, logs, startMail, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The test directory (slapd) on a network, as `ldap`. */
export async function startDirectory(network: StartedNetwork): Promise<StartedTestContainer> {
  return (
    new GenericContainer(LDAP_IMAGE)
      .withNetwork(network)
      .withNetworkAliases('ldap')
      // Podman lists every EXPOSEd port as a binding; testcontainers waits until all of them are bound.
      .withExposedPorts(389, 636)
      .withWaitStrategy(Wait.forHealthCheck())
      .start()
  );
}

/** A container whose resolver is the test network's DNS (testcontainers has no option for it). */
export class ApplianceContainer extends GenericContainer {
  withDns(server: string): this {
    this.hostConfig.Dns = [server];
    return this;
  }
}

/** An appliance on a network, answering there to `aliases` (a test with peers of its own starts it so). */
export async function startAppliance(
  network: StartedNetwork,
  env: Record<string, string>,
  files: { content: string; target: string }[],
  aliases: string[],
  ports: number[],
): Promise<Appliance> {
  let output = '';
  const container = await new ApplianceContainer(MAIL_IMAGE)
    .withDns(dnsOf(network).address)
    .withNetwork(network)
    .withNetworkAliases(...aliases)
    .withEnvironment(env)
    .withCopyContentToContainer(files)
    .withExposedPorts(...MAIL_PORTS, ...ports)
    .withLogConsumer((stream) => stream.on('data', (chunk) => (output += chunk.toString())))
    .withWaitStrategy(Wait.forHealthCheck())
    .withStartupTimeout(120_000)
    .start();
  return { container, logs: () => output };
}

/** Dovecot and Postfix read the rendered configs without a warning. */
export async function assertConfigsClean(mail: StartedTestContainer): Promise<void> {
  const dovecot = await mail.exec(['doveconf', '-n']);
  assert.equal(dovecot.exitCode, 0, dovecot.stderr);
  assert.doesNotMatch(dovecot.stderr, /warning|error|fatal/i);
  const postfix = await mail.exec(['postfix', 'check']);
  assert.equal(postfix.exitCode, 0, postfix.output);
  assert.doesNotMatch(postfix.output, /warning|error|fatal/i);
}

/** Runs curl inside the appliance, exactly as a docker-mailserver user verifies sign-in. */
export async function curlInside(
  mail: StartedTestContainer,
  args: string[],
): Promise<{ exitCode: number; output: string }> {
  const result = await mail.exec(['curl', '--silent', '--show-error', '--max-time', '20', ...args]);
  return { exitCode: result.exitCode, output: result.output };
}

/** Ids of the node processes in a container running `command` (e.g. "cli.js serve"); there is no procps, so /proc is read. */
export async function nodeProcessIds(container: StartedTestContainer, command: string): Promise<string[]> {
  // Anchored on the node binary (and its flags): the shell running this loop has the pattern in its own command line.
  const script = `for d in /proc/[0-9]*; do tr '\\0' ' ' < $d/cmdline 2>/dev/null | grep -qE '^[^ ]*node( -[^ ]+)* [^ ]*${command} ' && echo \${d#/proc/}; done`;
  const { output } = await container.exec(['sh', '-c', script]);
  return output.split('\n').filter((line) => /^\d+$/.test(line));
}

/** The id of the first process whose command line matches (there is no procps, so /proc is read). */
async function processId(container: StartedTestContainer, pattern: string): Promise<string> {
  const { output } = await container.exec([
    'sh',
    '-c',
    `for d in /proc/[0-9]*; do tr '\\0' ' ' < $d/cmdline 2>/dev/null | grep -qE '${pattern}' && { echo \${d#/proc/}; break; }; done`,
  ]);
  return output.trim();
}

/** What a restart of the container, or of a daemon, would change. */
export async function daemonProcesses(container: StartedTestContainer) {
  const client = await getContainerRuntimeClient();
  const inspected = await client.container.inspect(client.container.getById(container.getId()));
  const pid1 = await container.exec(['sh', '-c', "cut -d ' ' -f 22 /proc/1/stat"]);
  return {
    startedAt: inspected.State.StartedAt,
    restartCount: inspected.RestartCount,
    pid1StartTime: pid1.output.trim(),
    helper: await nodeProcessIds(container, 'cli.js serve'),
    dovecot: await processId(container, '^[^ ]*dovecot -F'),
    postfix: await processId(container, '^[^ ]*/master -s'),
  };
}

export async function eventually<T>(
  attempt: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt();
    if (check(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Waits until the log matches (lines reach the log a moment after the answer that caused them), then asserts it. */
export async function assertLogged(logs: () => string, pattern: RegExp, timeoutMs = 5_000): Promise<void> {
  assert.match(
    await eventually(
      async () => logs(),
      (text) => pattern.test(text),
      timeoutMs,
    ),
    pattern,
  );
}
