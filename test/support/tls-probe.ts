import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

/** How a port starts TLS: at once (993, 995, 465, 8443), or after SMTP's EHLO and STARTTLS (587, 25). */
export type TlsStart = 'implicit' | 'smtp-starttls';

/**
 * The SHA-256 fingerprint (`AA:BB:…`, as node:tls reports a peer's) of the certificate the server at
 * host:port presents; rejects when no handshake happened within the time. Nothing is verified: the
 * test compares the certificate itself.
 */
export async function servedFingerprint(
  host: string,
  port: number,
  start: TlsStart,
  timeoutMs = 10_000,
): Promise<string> {
  const plain = start === 'smtp-starttls' ? await smtpStartTls(host, port, timeoutMs) : undefined;
  return new Promise((resolve, reject) => {
    const secure = connectTls(
      plain === undefined ? { host, port, rejectUnauthorized: false } : { socket: plain, rejectUnauthorized: false },
    );
    secure.setTimeout(timeoutMs, () => secure.destroy(new Error(`no TLS handshake on port ${port}`)));
    secure.once('secureConnect', () => {
      resolve(secure.getPeerCertificate().fingerprint256);
      secure.destroy();
    });
    secure.once('error', reject);
  });
}

/** A TCP connection to an SMTP server that said yes to STARTTLS: the next bytes are the TLS handshake. */
async function smtpStartTls(host: string, port: number, timeoutMs: number): Promise<Socket> {
  const socket = connectTcp({ host, port });
  socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no SMTP answer on port ${port}`)));
  let received = '';
  // Resolves with the server's last line once a final reply line (code and a space) has come.
  const reply = () =>
    new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        received += chunk.toString('latin1');
        const final = received.split('\r\n').find((line) => /^\d{3} /.test(line));
        if (final === undefined) return;
        received = '';
        socket.off('data', onData);
        resolve(final);
      };
      socket.on('data', onData);
      socket.once('error', reject);
    });
  const expect = async (code: string) => {
    const line = await reply();
    if (!line.startsWith(code)) throw new Error(`port ${port} answered "${line}", not ${code}`);
  };
  try {
    await expect('220');
    socket.write('EHLO probe.example\r\n');
    await expect('250');
    socket.write('STARTTLS\r\n');
    await expect('220');
  } catch (error) {
    socket.destroy();
    throw error;
  }
  socket.setTimeout(0);
  return socket;
}
