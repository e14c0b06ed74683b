/**
 * The containers a benchmark run measures: the test IdP (and a copy of it delaying every request
 * by 10 ms), the test directory, and appliances in the setups being compared. Baselines are the
 * same image with Dovecot's rendered config rewritten to use Dovecot's own drivers.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { GenericContainer, type StartedNetwork, type StartedTestContainer, Wait } from 'testcontainers';
import { TestIdp } from '../test/support/idp.ts';
import { IDP_IMAGE, MAIL_IMAGE, ROOT } from '../test/support/images.ts';
import {
  ACCOUNTS_YAML,
  ApplianceContainer,
  dnsOf,
  MAIL_PORTS,
  nodeProcessIds,
  startDirectory,
  startIdp,
  startNetwork,
} from '../test/support/stack.ts';

const run = promisify(execFile);
export const DOVECOT_LDAP_IMAGE = 'idmail-bench-dovecot-ldap:bench';
export const SLOW_ISSUER = 'http://idp-slow:8080';
const DOVECOT_CONF = '/etc/dovecot/dovecot.conf';
/** What every appliance here shares: cleartext IMAP so the run measures sign-in, not TLS handshakes. */
export const BASE_ENV = {
  OVERRIDE_HOSTNAME: 'mail.example.test',
  MAIL_DOMAINS: 'example.test',
  ALLOW_PLAINTEXT_AUTH: '1',
};
export const LDAP_ENV = {
  ACCOUNT_PROVISIONER: 'LDAP',
  LDAP_SERVER_HOST: 'ldap',
  LDAP_SEARCH_BASE: 'dc=example,dc=test',
  LDAP_BIND_DN: 'cn=idmail,ou=services,dc=example,dc=test',
  LDAP_BIND_PW: 'idmail-service-password',
};

export interface Peers {
  network: StartedNetwork;
  idp: TestIdp;
  stop(): Promise<void>;
}

/** Network, IdP, delaying proxy and directory, started once for the whole run. */
export async function startPeers(): Promise<Peers> {
  const { network, started, stop } = await startNetwork(5);
  try {
    const idp = await startIdp(network);
    started.push(idp);
    started.push(
      await new GenericContainer(IDP_IMAGE)
        .withNetwork(network)
        .withNetworkAliases('idp-slow')
        .withEnvironment({ UPSTREAM: 'idp:8080', DELAY_MS: '10' })
        .withCopyContentToContainer([
          {
            content: await readFile(new URL('delay-proxy.mjs', import.meta.url), 'utf8'),
            target: '/tmp/delay-proxy.mjs',
          },
        ])
        .withCommand(['node', '/tmp/delay-proxy.mjs'])
        .withExposedPorts(8080)
        .withWaitStrategy(Wait.forLogMessage(/delaying requests/))
        .start(),
    );
    started.push(await startDirectory(network));
    return { network, idp: new TestIdp(`http://${idp.getIpAddress(network.getName())}:8080`), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface Appliance {
  container: StartedTestContainer;
  /** The appliance's address on the bench network, reached directly from this host (no port forwarding in the path). */
  host: string;
  stop(): Promise<void>;
}

export async function startAppliance(
  peers: Pick<Peers, 'network'>,
  env: Record<string, string>,
  image = MAIL_IMAGE,
): Promise<Appliance> {
  // The network's DNS, as in the tests: without it every reverse lookup of the bench's address waits on
  // a resolver that cannot answer.
  const container = await new ApplianceContainer(image)
    .withDns(dnsOf(peers.network).address)
    .withNetwork(peers.network)
    .withEnvironment({ ...BASE_ENV, ...env })
    .withExposedPorts(...MAIL_PORTS)
    .withCopyContentToContainer([{ content: ACCOUNTS_YAML, target: '/etc/idmail/accounts.yaml' }])
    // The image's health check starts a Node process every 5 s: with several appliances up at once
    // that took a fifth of this 2-core machine from whichever one was measured. Probed here once instead.
    .withHealthCheck({
      test: ['CMD', 'idmail', 'health'],
      interval: 600_000,
      timeout: 5_000,
      retries: 3,
      startPeriod: 600_000,
    })
    .withWaitStrategy(Wait.forSuccessfulCommand('idmail health'))
    .withStartupTimeout(120_000)
    .start();
  return {
    container,
    host: container.getIpAddress(peers.network.getName()),
    stop: () => container.stop({ timeout: 5 }).then(() => undefined),
  };
}

/** Rewrites Dovecot's rendered config and reloads it: how the baselines get Dovecot's own drivers. */
export async function rewriteDovecot(appliance: Appliance, rewrite: (conf: string) => string): Promise<void> {
  const { output } = await appliance.container.exec(['cat', DOVECOT_CONF]);
  const conf = rewrite(output);
  if (conf === output) throw new Error('the Dovecot rewrite changed nothing (the rendered config has a new shape?)');
  await appliance.container.copyContentToContainer([{ content: conf, target: DOVECOT_CONF }]);
  const check = await appliance.container.exec(['doveconf', '-n']);
  if (check.exitCode !== 0) throw new Error(`rewritten Dovecot config refused: ${check.output}`);
  await appliance.container.exec(['doveadm', 'reload']);
  await new Promise((resolve) => setTimeout(resolve, 1500));
}

const STATIC_DBS = `passdb static {
  fields {
    nopassword = yes
  }
}
userdb static {
}
`;

/** The helper's passdb and userdbs out; `passdb` in their place. */
function replaceAuth(conf: string, passdb: string): string {
  return conf.replace(/passdb lua \{[\s\S]*?\nuserdb lua \{[\s\S]*?\n\}\n/, passdb);
}

/** The ceiling: a passdb that checks nothing. */
export const staticPassdb = (conf: string) => replaceAuth(conf, STATIC_DBS);

const INSTANT_PORT = 8899;

/**
 * Starts, inside the appliance, a Node server that answers every introspection at once (no check),
 * and points Dovecot's oauth2 at it: the Dovecot → Node hop alone, without idmail's work.
 */
export async function startInstantIntrospection(appliance: Appliance, owners: Record<string, string>): Promise<void> {
  const script = await readFile(new URL('instant-introspection.mjs', import.meta.url), 'utf8');
  await appliance.container.copyContentToContainer([{ content: script, target: '/tmp/instant-introspection.mjs' }]);
  const env = `TOKENS='${JSON.stringify(owners)}' PORT=${INSTANT_PORT}`;
  await appliance.container.exec([
    'sh',
    '-c',
    `${env} nohup node /tmp/instant-introspection.mjs >/tmp/instant-introspection.log 2>&1 &`,
  ]);
  const listening = async () =>
    (await appliance.container.exec(['cat', '/tmp/instant-introspection.log'])).output.includes('answering');
  for (let attempt = 0; attempt < 50 && !(await listening()); attempt += 1)
    await new Promise((resolve) => setTimeout(resolve, 100));
}

/** Dovecot's oauth2 asks the instant server instead of the helper. */
export const instantIntrospection = (conf: string) =>
  conf.replace(/introspection_url = \S+/, `introspection_url = http://127.0.0.1:${INSTANT_PORT}/`);

/** What docker-mailserver runs: Dovecot's oauth2 calling the IdP's userinfo with the token, nothing cached. */
export const userinfoOauth2 = (userinfoUrl: string) => (conf: string) =>
  replaceAuth(conf, STATIC_DBS).replace(
    /oauth2 \{[\s\S]*?\n\}\n/,
    `oauth2 {
  introspection_mode = auth
  introspection_url = ${userinfoUrl}
  username_attribute = email
  username_validation_format = %{user | lower}
}
`,
  );

/** Dovecot's own LDAP passdb with authentication binds on the same directory idmail uses. */
export const dovecotLdapPassdb = (conf: string) =>
  replaceAuth(
    conf,
    `ldap_uris = ldap://${LDAP_ENV.LDAP_SERVER_HOST}
ldap_auth_dn = ${LDAP_ENV.LDAP_BIND_DN}
ldap_auth_dn_password = ${LDAP_ENV.LDAP_BIND_PW}
ldap_base = ${LDAP_ENV.LDAP_SEARCH_BASE}
passdb ldap {
  passdb_ldap_bind = yes
  passdb_ldap_filter = (&(mail=%{user})(mailEnabled=TRUE))
}
userdb static {
}
`,
  );

export async function buildDovecotLdapImage(): Promise<void> {
  await GenericContainer.fromDockerfile(`${ROOT}bench/dovecot-ldap`)
    .withBuildArgs({ BASE: MAIL_IMAGE })
    .build(DOVECOT_LDAP_IMAGE, { deleteOnExit: false });
}

export interface Memory {
  /** The helper (`idmail serve`). */
  helperMiB: number;
  /** rspamd's processes (main, proxy worker, hyperscan helper); 0 with ENABLE_RSPAMD=0. */
  rspamdMiB: number;
  /** s6-svscan and its s6-supervise processes, which start and watch the daemons. */
  supervisionMiB: number;
  /** The whole container, as the engine reports it. */
  totalMiB: number;
}

const MiB = 1024 * 1024;
const UNITS: Record<string, number> = { B: 1, KiB: 1024, kB: 1000, MiB, MB: 1e6, GiB: 1024 * MiB, GB: 1e9 };

/** Resident memory of the helper and of the supervision tree, and the container's total. */
export async function memoryOf(appliance: Pick<Appliance, 'container'>): Promise<Memory> {
  const rss = async (command: string) => {
    const [pid] = await nodeProcessIds(appliance.container, command);
    return (
      Number((await appliance.container.exec(['awk', '/VmRSS/ {print $2}', `/proc/${pid}/status`])).output.trim()) /
      1024
    );
  };
  const { stdout } = await run('docker', [
    'stats',
    '--no-stream',
    '--format',
    '{{.MemUsage}}',
    appliance.container.getId(),
  ]);
  const [, amount, unit] = /^([\d.]+)\s*([A-Za-z]+)/.exec(stdout.trim()) ?? [];
  const supervision = await appliance.container.exec([
    'sh',
    '-c',
    "grep -l '^s6-sv' /proc/[0-9]*/comm | sed 's/comm$/status/' | xargs awk '/VmRSS/ {kB += $2} END {print kB}'",
  ]);
  const rspamd = await appliance.container.exec([
    'sh',
    '-c',
    "grep -lx 'rspamd' /proc/[0-9]*/comm | sed 's/comm$/status/' | xargs -r awk '/VmRSS/ {kB += $2} END {print kB + 0}'",
  ]);
  return {
    helperMiB: await rss('cli.js serve'),
    rspamdMiB: Number(rspamd.output.trim()) / 1024,
    supervisionMiB: Number(supervision.output.trim()) / 1024,
    totalMiB: (Number(amount) * (UNITS[unit ?? ''] ?? Number.NaN)) / MiB,
  };
}
