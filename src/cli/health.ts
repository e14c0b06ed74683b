import { connect } from 'node:net';

const TIMEOUT_MS = 2_000;

/** Reads a service's greeting on loopback and checks how it starts. */
function greets(port: number, expected: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, timeout: TIMEOUT_MS });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('data', (data) => done(data.toString('latin1').startsWith(expected)));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

async function helperAnswers(url: string): Promise<boolean> {
  const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(TIMEOUT_MS) }).catch(() => undefined);
  return response?.ok === true;
}

/** Healthy only when the helper, Dovecot (IMAP) and Postfix (SMTP) all answer. */
export async function checkHealth(helperUrl: string): Promise<Record<string, boolean>> {
  const [helper, dovecot, postfix] = await Promise.all([helperAnswers(helperUrl), greets(143, '* OK'), greets(25, '220 ')]);
  return { helper, dovecot, postfix };
}
