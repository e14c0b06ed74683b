import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { describe, it } from 'node:test';
import { loadSettings } from '../../../src/config/settings.ts';
import { renderPostfix } from '../../../src/render/postfix.ts';
import { POSTFIX_POLICY_SOCKET } from '../../../src/vocabulary/wire-contract.ts';

const base = { OVERRIDE_HOSTNAME: 'mail.example.org', MAIL_DOMAINS: 'example.org' };
const CHECK = `check_policy_service,unix:${POSTFIX_POLICY_SOCKET}`;

async function masterCf(env: Record<string, string>): Promise<string> {
  const files = await renderPostfix(loadSettings({ ...base, ...env }));
  return files.find((file) => file.path.endsWith('/master.cf'))?.content ?? '';
}

/** The -o options of one service of master.cf. */
function optionsOf(master: string, service: string): string[] {
  const block = new RegExp(`^${service} inet[^\\n]*\\n((?: {2}-o [^\\n]*\\n)*)`, 'm').exec(master);
  assert.ok(block, `no ${service} service in master.cf`);
  return [...(block[1] ?? '').matchAll(/-o (\S*)/g)].map((match) => match[1] as string);
}

describe('the rate limit in master.cf', () => {
  it('asks the policy at each recipient and at the end of each message on submission, proxied ports too', async () => {
    const master = await masterCf({ PROXY_PROTOCOL_NETWORKS: '172.18.0.10' });
    for (const service of ['submission', 'submissions', '10587', '10465']) {
      const options = optionsOf(master, service);
      assert.ok(options.includes(`smtpd_recipient_restrictions=${CHECK}`), `${service}: ${options.join(' ')}`);
      assert.ok(options.includes(`smtpd_end_of_data_restrictions=${CHECK}`), `${service}: ${options.join(' ')}`);
      assert.equal(options.filter((option) => option.startsWith('smtpd_recipient_restrictions=')).length, 1);
    }
  });

  it('never on port 25: inbound mail has no account to count', async () => {
    const master = await masterCf({ PROXY_PROTOCOL_NETWORKS: '172.18.0.10' });
    for (const service of ['smtp', '10025'])
      assert.deepEqual(
        optionsOf(master, service).filter((option) => option.includes('policy')),
        [],
      );
  });

  it('asks nothing when both limits are 0, and leaves the recipient restrictions of submission empty', async () => {
    const master = await masterCf({ SUBMISSION_MESSAGES_PER_HOUR: '0', SUBMISSION_RECIPIENTS_PER_HOUR: '0' });
    assert.doesNotMatch(master, /check_policy_service|smtpd_end_of_data_restrictions/);
    for (const service of ['submission', 'submissions'])
      assert.ok(optionsOf(master, service).includes('smtpd_recipient_restrictions='));
  });

  it('names the socket the helper serves, beside the socketmap, in the directory start-up gives group postfix', () => {
    const { paths } = loadSettings(base);
    assert.equal(paths.postfixPolicy, POSTFIX_POLICY_SOCKET);
    assert.equal(dirname(paths.postfixPolicy), dirname(paths.socketmap));
  });
});
