import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import type { StartedTestContainer } from 'testcontainers';
import { imapClient } from '../support/mailbox.ts';
import {
  assertConfigsClean,
  assertLogged,
  CAROL_PASSWORD,
  eventually,
  STRANGER_DOMAIN,
  STRANGER_HELO,
  type Stack,
  startStack,
} from '../support/stack.ts';

/**
 * ENABLE_QUOTAS with accounts from the accounts file: a limit set with `idmail account quota` reaches
 * Dovecot (doveadm, IMAP QUOTA), and Postfix refuses mail for a full mailbox at RCPT on port 25,
 * before accepting it, instead of bouncing it later. With ENABLE_QUOTAS=0 the same file limits nothing.
 */
const ENV = { OVERRIDE_HOSTNAME: 'mail.example.test', MAIL_DOMAINS: 'example.test' };
/** About 620 KB: two fill a 1M quota past its limit. The first two fit, Dovecot's 10 MB grace lets the second in. */
const BIG_TEXT = `${'x'.repeat(74)}\n`.repeat(8_300);

let stack: Stack;
let quotasOff: StartedTestContainer;

before(async () => {
  stack = await startStack(ENV);
  quotasOff = (await stack.startMail({ ...ENV, ENABLE_QUOTAS: '0' })).container;
});
after(async () => stack?.stop());

/** Mail from a stranger on port 25: the reply code (250 accepted) and, when refused, the command and reply. */
async function inbound(mail: StartedTestContainer, to: string, subject: string, text = 'hello') {
  const transport = nodemailer.createTransport({
    host: mail.getHost(),
    port: mail.getMappedPort(25),
    secure: false,
    ignoreTLS: true,
    name: STRANGER_HELO,
  });
  try {
    await transport.sendMail({ from: `someone@${STRANGER_DOMAIN}`, to, subject, text });
    return { code: 250, command: undefined, response: '' };
  } catch (error) {
    const { responseCode, command, response } = error as Error & {
      responseCode?: number;
      command?: string;
      response?: string;
    };
    return { code: responseCode ?? 0, command, response: response ?? (error as Error).message };
  } finally {
    transport.close();
  }
}

async function idmail(mail: StartedTestContainer, ...args: string[]): Promise<void> {
  const result = await mail.exec(['idmail', ...args]);
  assert.equal(result.exitCode, 0, result.output);
}

/** `doveadm quota get`: the STORAGE line's used and limit (KB); undefined when Dovecot reports no such line. */
async function storageQuota(mail: StartedTestContainer, user: string) {
  const { output } = await mail.exec(['doveadm', 'quota', 'get', '-u', user]);
  const match = /STORAGE\s+(\d+)\s+(\S+)/.exec(output);
  return match === null ? undefined : { used: Number(match[1]), limit: match[2] as string };
}

const messagesIn = async (mail: StartedTestContainer, user: string) =>
  Number(
    (await mail.exec(['sh', '-c', `ls /var/mail/example.test/${user}/Maildir/new 2>/dev/null | wc -l`])).output.trim(),
  );

async function imapQuota(mail: StartedTestContainer) {
  const imap = await imapClient(mail, { user: 'carol@example.test', pass: CAROL_PASSWORD });
  try {
    return await imap.getQuota('INBOX');
  } finally {
    await imap.logout();
  }
}

describe('quotas (ENABLE_QUOTAS=1, the default)', () => {
  it('renders configs Dovecot and Postfix read without a warning', async () => {
    await assertConfigsClean(stack.mail);
  });

  it('gives an account of the accounts file the limit `idmail account quota` set, on every path to Dovecot', async () => {
    await idmail(stack.mail, 'account', 'quota', 'bob@example.test', '1M');
    await idmail(stack.mail, 'account', 'quota', 'carol@example.test', '2M');
    // The helper re-reads the file within a second; doveadm asks the userdb as LMTP and quota-status do.
    const bob = await eventually(
      () => storageQuota(stack.mail, 'bob@example.test'),
      (quota) => quota?.limit === '1024',
    );
    assert.equal(bob?.limit, '1024');
    // A password sign-in takes it from the sign-in's answer (prefetch).
    const quota = await imapQuota(stack.mail);
    assert.ok(quota, 'no QUOTA capability');
    assert.equal(quota.storage?.limit, 2 * 1024 ** 2);
  });

  it('refuses mail for a full mailbox at RCPT with 552 5.2.2, accepting nothing to bounce later', async () => {
    for (const subject of ['fill 1', 'fill 2'])
      assert.equal((await inbound(stack.mail, 'bob@example.test', subject, BIG_TEXT)).code, 250, subject);
    assert.equal(
      await eventually(
        () => messagesIn(stack.mail, 'bob'),
        (count) => count >= 2,
        30_000,
      ),
      2,
    );
    const full = await storageQuota(stack.mail, 'bob@example.test');
    assert.ok(full !== undefined && full.used > 1024, `bob's mailbox is not past its quota: ${JSON.stringify(full)}`);

    const refused = await inbound(stack.mail, 'bob@example.test', 'one too many');
    assert.deepEqual({ code: refused.code, command: refused.command }, { code: 552, command: 'RCPT TO' });
    assert.match(refused.response, /^552 5\.2\.2 .*Mailbox is full/);
    await assertLogged(
      stack.logs,
      /NOQUEUE: reject: RCPT from [^\n]*: 552 5\.2\.2 <bob@example\.test>[^\n]*Mailbox is full/,
    );
    // Never accepted: nothing waits in the queue, no bounce goes out, the mailbox holds what it held.
    const queue = await stack.mail.exec(['postqueue', '-j']);
    assert.equal(queue.output.trim(), '', queue.output);
    assert.equal(await messagesIn(stack.mail, 'bob'), 2);
  });

  it('leaves other recipients to the usual checks: a mailbox with room accepts, an unknown address is refused as before', async () => {
    assert.equal((await inbound(stack.mail, 'alice@example.test', 'room')).code, 250);
    assert.equal((await inbound(stack.mail, 'nobody@example.test', 'who')).code, 550);
  });
});

describe('quotas off (ENABLE_QUOTAS=0)', () => {
  it('limits no mailbox, whatever the accounts file says', async () => {
    await idmail(quotasOff, 'account', 'quota', 'bob@example.test', '1M');
    // No quota plugin: doveadm has no quota to report, IMAP offers no QUOTA.
    assert.equal(await storageQuota(quotasOff, 'bob@example.test'), undefined);
    assert.equal(await imapQuota(quotasOff), false);
    for (const subject of ['fill 1', 'fill 2', 'fill 3'])
      assert.equal((await inbound(quotasOff, 'bob@example.test', subject, BIG_TEXT)).code, 250, subject);
    assert.equal(
      await eventually(
        () => messagesIn(quotasOff, 'bob'),
        (count) => count >= 3,
        30_000,
      ),
      3,
    );
  });
});
