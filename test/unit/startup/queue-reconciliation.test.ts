import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { deliveredTo, parseEnvelope } from '../../../src/startup/queue-reconciliation.ts';

/** What `postcat -e -q` printed for a message to two recipients, bob's delivery done already. */
const POSTCAT = `*** ENVELOPE RECORDS active/28042192F37 ***
message_size:             272             365               2               0             272               0
message_arrival_time: Tue Dec  1 21:03:39 2026
create_time: Tue Dec  1 21:03:39 2026
sender: x@elsewhere.example
named_attribute: dsn_orig_rcpt=rfc822;alice@example.test
original_recipient: alice@example.test
recipient: alice@example.test
original_recipient: bob@example.test
done_recipient: bob@example.test
*** MESSAGE CONTENTS active/28042192F37 ***
`;

const ARRIVAL = Math.floor(new Date('Tue Dec  1 21:03:39 2026').getTime() / 1000);

function maildirWith(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'idmail-mail-'));
  const dir = join(root, 'example.test', 'alice', 'Maildir');
  for (const folder of ['new', 'cur', 'tmp']) mkdirSync(join(dir, folder), { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return root;
}

const delivered = (id: string, recipient = 'alice@example.test') =>
  `Return-Path: <x@elsewhere.example>\nDelivered-To: ${recipient}\nReceived: from mail.example.test\n\tby mail.example.test with LMTP\n\tid gacQEjM2D2vl\n\tfor <${recipient}>; Tue, 01 Dec 2026 21:03:47 +0000\nReceived: by mail.example.test (Postfix)\n\tid ${id}; Tue, 01 Dec 2026 21:03:39 +0000 (UTC)\nSubject: q\n\nbody id ${id}\n`;

describe('queue reconciliation after an unclean stop', () => {
  it('reads the remaining recipients and the arrival from the envelope', () => {
    const message = parseEnvelope('28042192F37', POSTCAT);
    assert.deepEqual(message.recipients, ['alice@example.test']);
    assert.equal(message.arrivedAt.getTime() / 1000, ARRIVAL);
  });

  it('finds a message of the queue id in the recipient Maildir, saved since it arrived, by its headers', async () => {
    const message = parseEnvelope('28042192F37', POSTCAT);
    const saved = `${ARRIVAL + 8}.M347231P229.host,S=522,W=537`;
    assert.equal(
      await deliveredTo(maildirWith({ [`new/${saved}`]: delivered('28042192F37') }), 'alice@example.test', message),
      true,
    );
    assert.equal(
      await deliveredTo(maildirWith({ [`cur/${saved}:2,S`]: delivered('28042192F37') }), 'alice@example.test', message),
      true,
    );
    assert.equal(
      await deliveredTo(maildirWith({ [`new/${saved}`]: delivered('28042192F38') }), 'alice@example.test', message),
      false,
      'another queue id',
    );
    assert.equal(
      await deliveredTo(
        maildirWith({ [`new/${saved}`]: delivered('28042192F37', 'bob@example.test') }),
        'alice@example.test',
        message,
      ),
      false,
      'delivered to someone else',
    );
    assert.equal(
      await deliveredTo(
        maildirWith({ [`new/${ARRIVAL - 3600}.M1P1.host`]: delivered('28042192F37') }),
        'alice@example.test',
        message,
      ),
      false,
      'saved before it arrived: a short queue id reused',
    );
    assert.equal(await deliveredTo(maildirWith({}), 'alice@example.test', message), false);
    assert.equal(
      await deliveredTo(maildirWith({ [`new/${saved}`]: delivered('28042192F37') }), 'alice+news@example.test', {
        ...message,
        recipients: ['alice+news@example.test'],
      }),
      false,
      'Delivered-To names the sub-address',
    );
  });
});
