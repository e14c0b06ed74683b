import assert from 'node:assert/strict';
import { connect as connectTcp } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect as connectTls } from 'node:tls';
import { CLIENT } from '../support/idp.ts';
import { LineClient, plain } from '../support/sasl.ts';
import {
  type Appliance,
  assertLogged,
  CAROL_PASSWORD,
  curlInside,
  eventually,
  JWT_ENV,
  STRANGER_DOMAIN,
  STRANGER_HELO,
  type Stack,
  startStack,
} from '../support/stack.ts';

/** Who runs what with which rights inside the real appliance, and which networks it trusts. */
const SCIM_TOKEN = 'scim-token-for-the-least-privilege-test-0123456789';
const SECRETS = { OAUTH2_CLIENT_ID: CLIENT.id, OAUTH2_CLIENT_SECRET: CLIENT.secret, SCIM_TOKEN };
let stack: Stack;

before(async () => {
  stack = await startStack({ ...JWT_ENV, ...SECRETS });
});
after(async () => stack?.stop());

const sh = async (script: string) => (await stack.mail.exec(['sh', '-c', script])).output.trim();

/** The pid of the first process whose command line matches. */
async function pidOf(pattern: string): Promise<string> {
  const pid = await sh(
    `for d in /proc/[0-9]*; do tr '\\0' ' ' < $d/cmdline 2>/dev/null | grep -qE '${pattern}' && { echo \${d#/proc/}; break; }; done`,
  );
  assert.match(pid, /^\d+$/, `no process ${pattern}`);
  return pid;
}

describe('least privilege', () => {
  it('runs the helper as its own user, with no group and no capability but binding low ports, prototype mutation disabled', async () => {
    const pid = await pidOf('^[^ ]*node --disable-proto=throw ([^ ]+ )*[^ ]*cli.js serve ');
    const status = await sh(`grep -E '^(Uid|Gid|Groups|CapEff|CapPrm|CapBnd)' /proc/${pid}/status`);
    assert.match(status, /^Uid:\s+5001\s+5001\s+5001\s+5001$/m);
    assert.match(status, /^Gid:\s+5001\s+5001\s+5001\s+5001$/m);
    assert.match(status, /^Groups:\s*$/m);
    for (const set of ['CapEff', 'CapPrm', 'CapBnd'])
      assert.match(status, new RegExp(`^${set}:\\s+0000000000000400$`, 'm'), `${set}: only cap_net_bind_service`);
    assert.equal(await sh('id -un 5001'), 'idmail');
  });

  it('gives Dovecot and Postfix none of the secrets in the environment', async () => {
    for (const pattern of ['^[^ ]*dovecot -F', '^[^ ]*/master -s']) {
      const environment = await sh(`tr '\\0' '\\n' < /proc/${await pidOf(pattern)}/environ`);
      assert.doesNotMatch(environment, /OAUTH2_CLIENT_SECRET|SCIM_TOKEN|LDAP_BIND_PW/, pattern);
      for (const secret of [CLIENT.secret, SCIM_TOKEN])
        assert.ok(!environment.includes(secret), `${pattern} holds a secret`);
    }
  });

  it('keeps the state database, its journal and every key file to their owner (0600), the accounts file to root and the helper (0640)', async () => {
    const modes = await sh(
      'stat -c "%n %a %U:%G" /var/mail-state/idmail /var/mail-state/idmail/idmail.db* /etc/idmail/accounts.yaml /var/mail-state/tls/key.pem /run/idmail-helper-tls /run/idmail-helper-tls/key.pem /run/idmail-helper-tls/cert.pem',
    );
    assert.match(modes, /^\/var\/mail-state\/idmail 700 idmail:idmail$/m);
    assert.match(modes, /^\/var\/mail-state\/idmail\/idmail\.db 600 idmail:idmail$/m);
    assert.match(modes, /^\/var\/mail-state\/idmail\/idmail\.db-wal 600 idmail:idmail$/m);
    assert.match(modes, /^\/etc\/idmail\/accounts\.yaml 640 root:idmail$/m);
    assert.match(modes, /^\/var\/mail-state\/tls\/key\.pem 600 root:root$/m);
    // The helper reads its HTTPS copy, in root's directory: nothing there is the helper's to swap.
    assert.match(modes, /^\/run\/idmail-helper-tls 750 root:idmail$/m);
    assert.match(modes, /^\/run\/idmail-helper-tls\/key\.pem 640 root:idmail$/m);
  });

  it("leaves the database the helper's when root changes it with the CLI, and the accounts file readable by the helper", async () => {
    const created = await stack.mail.exec(['idmail', 'app-password', 'create', 'carol@example.test', '--name', 'cli']);
    assert.equal(created.exitCode, 0, created.output);
    const added = await stack.mail.exec(['idmail', 'account', 'add', 'liz@example.test', '--no-password']);
    assert.equal(added.exitCode, 0, added.output);
    const modes = await sh('stat -c "%n %a %U:%G" /var/mail-state/idmail/idmail.db* /etc/idmail/accounts.yaml');
    assert.doesNotMatch(modes, /root:root/, modes);
    assert.match(modes, /^\/etc\/idmail\/accounts\.yaml 640 root:idmail$/m);
    // The helper read the file root wrote: the new account receives mail.
    const inbound = () =>
      curlInside(stack.mail, [
        '--url',
        `smtp://localhost:25/${STRANGER_HELO}`,
        '--mail-from',
        `x@${STRANGER_DOMAIN}`,
        '--mail-rcpt',
        'liz@example.test',
        '--upload-file',
        '/etc/hostname',
      ]);
    assert.equal((await eventually(inbound, (result) => result.exitCode === 0)).exitCode, 0);
  });

  it("leaves the helper no way to swap what root runs or reads: the service tree and the environment root's services take in", async () => {
    // Where they are, as the running container says: s6-svscan's scan directory, and what the helper's run script reads.
    const scanDirectory = (await sh("tr '\\0' ' ' < /proc/1/cmdline")).split(' ').at(-1) ?? '';
    const environment = /< (\S+)/.exec(await sh(`cat ${scanDirectory}/helper/run`))?.[1] ?? '';
    assert.match(scanDirectory, /^\/run\//);
    assert.match(environment, /^\/run\//);
    for (const path of [scanDirectory, `${scanDirectory}/helper/run`, environment]) {
      const moved = await stack.mail.exec([
        'setpriv',
        '--reuid=idmail',
        '--regid=idmail',
        '--clear-groups',
        'mv',
        path,
        `${path}.swapped`,
      ]);
      assert.notEqual(moved.exitCode, 0, `the helper's user moved ${path}`);
    }
  });

  it('warns at start about what is weaker than it should be', () => {
    assert.match(
      stack.logs(),
      /idmail: warning: OAUTH2_ALLOW_HTTP=1: tokens and keys travel to and from the IdP unencrypted/,
    );
  });
});

describe('trusted networks', () => {
  it('trusts no network to relay by default, loopback included: a script in the container signs in like anyone else', async () => {
    const relay = await curlInside(stack.mail, [
      '--url',
      `smtp://localhost:25/${STRANGER_HELO}`,
      '--mail-from',
      `script@${STRANGER_DOMAIN}`,
      '--mail-rcpt',
      `victim@${STRANGER_DOMAIN}`,
      '--upload-file',
      '/etc/hostname',
    ]);
    assert.equal(relay.exitCode, 55, relay.output);
    assert.match(relay.output, /554/);
  });

  let proxied: Appliance;
  before(async () => {
    proxied = await stack.startMail(
      {
        ...JWT_ENV,
        PROXY_PROTOCOL_NETWORKS: '0.0.0.0/0',
        LOGIN_TRUSTED_NETWORKS: '0.0.0.0/0',
        BRUTE_FORCE_BAN_AFTER: '3',
      },
      [10993, 10587, 10025],
    );
  });

  const host = () => proxied.container.getHost();

  /** A wrong password on IMAPS through the PROXY-protocol port, as a reverse proxy forwards the client at `clientIp`. */
  async function throughProxy(clientIp: string): Promise<string> {
    const socket = connectTcp({ host: host(), port: proxied.container.getMappedPort(10993) });
    await new Promise<void>((resolve, reject) => socket.once('connect', () => resolve()).once('error', reject));
    socket.write(`PROXY TCP4 ${clientIp} 192.0.2.1 41000 993\r\n`);
    const secure = connectTls({ socket, rejectUnauthorized: false });
    let text = '';
    secure.on('data', (chunk) => (text += chunk.toString()));
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', () => resolve()).once('error', reject));
    await eventually(
      async () => text,
      (read) => /^\* OK/m.test(read),
      10_000,
    );
    secure.write(`a1 AUTHENTICATE PLAIN ${plain('carol@example.test', 'wrong')}\r\n`);
    const answer = await eventually(
      async () => text,
      (read) => /^a1 /m.test(read),
      30_000,
    );
    secure.destroy();
    return answer;
  }

  it('takes the client address from the PROXY header, so the defence counts the client, not the proxy everyone shares', async () => {
    for (let i = 0; i < 3; i++) assert.match(await throughProxy('198.51.100.77'), /^a1 NO /m);
    await assertLogged(proxied.logs, /"event":"brute-force-ban","ip":"198\.51\.100\.77"/);
    // Another client behind the same proxy is not banned with it.
    await throughProxy('198.51.100.78');
    await assertLogged(
      proxied.logs,
      /"method":"password","user":"carol@example.test","protocol":"imap","remoteIp":"198\.51\.100\.78".*"reason":"wrong password"/,
    );
  });

  it('passes the PROXY client on from Postfix as well, port 25 through postscreen', async () => {
    const proxiedConnect = async (port: number, client: string) => {
      const socket = connectTcp({ host: host(), port: proxied.container.getMappedPort(port) });
      await new Promise<void>((resolve, reject) => socket.once('connect', () => resolve()).once('error', reject));
      socket.write(`PROXY TCP4 ${client} 192.0.2.1 42000 ${port - 10_000}\r\n`);
      return socket;
    };
    const submission = await proxiedConnect(10587, '198.51.100.79');
    await assertLogged(
      proxied.logs,
      /postfix\/submission-proxied\/smtpd\[\d+\]: connect from unknown\[198\.51\.100\.79\]/,
      10_000,
    );
    submission.destroy();
    const inbound = await proxiedConnect(10025, '198.51.100.80');
    await assertLogged(
      proxied.logs,
      /postfix\/smtp-proxied\/postscreen\[\d+\]: CONNECT from \[198\.51\.100\.80\]:42000/,
      10_000,
    );
    inbound.destroy();
  });

  it("takes a webmail's client address from its IMAP ID when it connects from LOGIN_TRUSTED_NETWORKS, and ignores it elsewhere", async () => {
    const signInWithId = async (mail: Appliance['container'], clientIp: string) => {
      const client = await LineClient.connect(mail.getHost(), mail.getMappedPort(993), true);
      try {
        await client.readUntil(/^\* OK/);
        client.send(`a0 ID ("x-originating-ip" "${clientIp}")`);
        await client.readUntil(/^a0 /);
        client.send(`a1 AUTHENTICATE PLAIN ${plain('carol@example.test', CAROL_PASSWORD)}`);
        return await client.readUntil(/^a1 /);
      } finally {
        client.close();
      }
    };
    assert.match(await signInWithId(proxied.container, '198.51.100.88'), /^a1 OK/m);
    await assertLogged(
      proxied.logs,
      /"method":"password","user":"carol@example.test","protocol":"imap","remoteIp":"198\.51\.100\.88".*"outcome":"allow"/,
    );
    assert.match(await signInWithId(stack.mail, '198.51.100.89'), /^a1 OK/m);
    assert.doesNotMatch(stack.logs(), /198\.51\.100\.89/);
  });
});
