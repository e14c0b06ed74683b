import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

/**
 * The deduplication Sieve (compiled at image build, run by Pigeonhole before each user's filters).
 * No Sieve interpreter runs here: these tests read the script, and try its two regular expressions
 * (POSIX ERE, carried over to JavaScript's) on Received headers as Postfix writes them and Dovecot
 * unfolds them. The integration tests run the real thing.
 */
const SIEVE = readFileSync(
  new URL('../../../rootfs/usr/share/idmail/sieve/deduplicate.sieve', import.meta.url),
  'utf8',
);
const code = SIEVE.replace(/#.*$/gm, '');

/** The key strings of the script's `:regex "received"` tests, in order, as Sieve reads its quoted strings. */
const regexKeys = [...code.matchAll(/:regex "received"\s+"((?:[^"\\]|\\.)*)"/g)].map((match) =>
  (match[1] as string).replace(/\\(.)/g, '$1'),
);

/** POSIX bracket classes as JavaScript writes them (the only POSIX-only syntax the script uses). */
const asJavaScript = (posix: string) =>
  new RegExp(posix.replaceAll('[^[:space:]]', '\\S').replaceAll('[[:space:]]', '\\s'));

const [ambiguous, queueId] = regexKeys.map(asJavaScript) as [RegExp, RegExp];

/** A header value as Sieve gets it from Dovecot: folded lines joined with a space. */
const unfolded = (header: string) => header.replace(/\r?\n[ \t]/g, ' ');

/** The queue id the script keys on for this topmost Received header, or undefined when it drops nothing. */
function keyOf(header: string): string | undefined {
  const value = unfolded(header);
  if (ambiguous.test(value)) return undefined;
  return queueId.exec(value)?.[4];
}

const SMTPD = `from client.elsewhere.example (client.elsewhere.example [192.0.2.7])
\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)
\t(No client certificate requested)
\tby mail.example.test (Postfix) with ESMTPS id 4bQxYz1Tg2z9sWB
\tfor <alice+a@example.test>; Tue,  1 Dec 2026 21:03:39 +0000 (UTC)`;

describe('the deduplication Sieve', () => {
  it('keys on the queue id in the topmost Received header with the envelope recipient, no longer on the Message-ID', () => {
    assert.equal(regexKeys.length, 2);
    assert.equal(code.match(/header :index 1 :comparator "i;octet" :regex "received"/g)?.length, 2);
    assert.match(code, /set "queue_id" "\$\{4\}";/);
    assert.match(code, /envelope :all :comparator "i;octet" :matches "to" "\*" \{\s*set "recipient" "\$\{1\}";/);
    const duplicateTests = [...code.matchAll(/(?<!")\bduplicate\b.*$/gm)].map((match) => match[0]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Sieve's variables, not JavaScript's
    assert.deepEqual(duplicateTests, ['duplicate :seconds 172800 :uniqueid "${queue_id} ${recipient}" {']);
  });

  it('requires every extension it uses', () => {
    const required = /^require \[([^\]]*)\];/m.exec(code)?.[1]?.match(/"[^"]+"/g) ?? [];
    assert.deepEqual(required.sort(), ['"duplicate"', '"envelope"', '"index"', '"regex"', '"variables"']);
  });

  it("reads the queue id of Postfix's SMTP server and of sendmail (pickup), folded or not", () => {
    assert.equal(keyOf(SMTPD), '4bQxYz1Tg2z9sWB');
    assert.equal(
      keyOf(
        'by mail.example.test (Postfix, from userid 0)\n\tid 4bQxZ03Lm7z9sWC; Tue,  1 Dec 2026 21:03:40 +0000 (UTC)',
      ),
      '4bQxZ03Lm7z9sWC',
    );
    // Several recipients: no "for", the id ends at the semicolon.
    assert.equal(
      keyOf(
        'from a.example (a.example [192.0.2.9])\n\tby mail.example.test (Postfix) with ESMTP id 28042192F37;\n\tTue, 1 Dec 2026',
      ),
      '28042192F37',
    );
    assert.equal(keyOf('by mail.example.test (Postfix) with ESMTPSA id 4bQxZ1aBcDz9sWD'), '4bQxZ1aBcDz9sWD');
  });

  it('drops nothing when the header is not Postfix’s, or when what a client wrote names Postfix too', () => {
    assert.equal(
      keyOf('from mx.elsewhere.example by mx.example.test (Exim 4.96) with esmtps id 1t2Xyz-000A'),
      undefined,
    );
    assert.equal(keyOf(''), undefined);
    // A HELO name or a recipient imitating Postfix's words: the queue id cannot be told from them.
    assert.equal(
      keyOf(SMTPD.replace('from client.elsewhere.example', 'from x (Postfix) id AAAAAAAAAAAAAAA')),
      undefined,
    );
    assert.equal(
      keyOf(SMTPD.replace('<alice+a@example.test>', '<"alice+x by h (Postfix, from userid 0) id A"@example.test>')),
      undefined,
    );
    // A host named postfix.elsewhere.example (any case) is no imitation: only "(Postfix)" and "(Postfix, " count.
    for (const host of ['postfix.elsewhere.example', 'Postfix.elsewhere.example'])
      assert.equal(keyOf(SMTPD.replaceAll('client.elsewhere.example', host)), '4bQxYz1Tg2z9sWB', host);
  });
});
