import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';

/** SASL initial responses as mail clients send them (RFC 7628 and Google's XOAUTH2). */
export const xoauth2 = (user: string, token: string) =>
  Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`).toString('base64');
export const plain = (user: string, password: string) => Buffer.from(`\0${user}\0${password}`).toString('base64');
export const oauthbearer = (user: string, token: string) =>
  Buffer.from(`n,a=${user},\x01auth=Bearer ${token}\x01\x01`).toString('base64');

/** What readUntil returns after what was read when the server closed the connection, or did not answer in time. */
export const CLOSED = '[closed]';
export const TIMED_OUT = '[timed out]';

/** A line-oriented protocol conversation (IMAP, ManageSieve) over TCP with optional STARTTLS. */
export class LineClient {
  private socket: Socket | TLSSocket;
  private buffer = '';
  private waiting: (() => void) | undefined;

  private constructor(socket: Socket | TLSSocket) {
    this.socket = socket;
    this.listen();
  }

  static async connect(host: string, port: number, tls = false): Promise<LineClient> {
    const socket = tls ? connectTls({ host, port, rejectUnauthorized: false }) : connectTcp({ host, port });
    await new Promise<void>((resolve, reject) =>
      socket.once(tls ? 'secureConnect' : 'connect', () => resolve()).once('error', reject),
    );
    return new LineClient(socket);
  }

  /** Why the connection failed (an errno code such as ECONNRESET), once it has. */
  failure: string | undefined;

  private listen(): void {
    this.socket.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('utf8');
      this.waiting?.();
    });
    this.socket.on('error', (error: NodeJS.ErrnoException) => {
      this.failure ??= error.code ?? error.message;
    });
    this.socket.on('close', () => this.waiting?.());
  }

  /** Reads up to and including the first line matching `pattern`; returns everything read. */
  async readUntil(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.buffer.split('\r\n');
      const index = lines.slice(0, -1).findIndex((line) => pattern.test(line));
      if (index >= 0) {
        const taken = lines.slice(0, index + 1).join('\r\n');
        this.buffer = lines.slice(index + 1).join('\r\n');
        return taken;
      }
      if (this.socket.destroyed) return `${this.buffer}${CLOSED}`;
      if (Date.now() > deadline) return `${this.buffer}${TIMED_OUT}`;
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
        setTimeout(resolve, 200);
      });
    }
  }

  send(line: string): void {
    this.socket.write(`${line}\r\n`);
  }

  async startTls(): Promise<void> {
    this.socket.removeAllListeners('data');
    const secure = connectTls({ socket: this.socket as Socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', () => resolve()).once('error', reject));
    this.socket = secure;
    this.buffer = '';
    this.listen();
  }

  close(): void {
    this.socket.destroy();
  }
}

/** One AUTHENTICATE (or AUTH) with an initial response, over a connection greeted as its protocol wants. */
export type Authenticate = (
  host: string,
  port: number,
  mechanism: string,
  initial: string,
  timeoutMs?: number,
) => Promise<string>;

interface SaslDialect {
  implicitTls: boolean;
  /** Everything before the command: the greeting, STARTTLS, EHLO. */
  greet(client: LineClient): Promise<void>;
  command(mechanism: string, initial: string): string;
  final: RegExp;
  challenge: RegExp;
  emptyResponse?: string;
}

function authenticator(dialect: SaslDialect): Authenticate {
  return async (host, port, mechanism, initial, timeoutMs = 15_000) => {
    const client = await LineClient.connect(host, port, dialect.implicitTls);
    try {
      await dialect.greet(client);
      const command = dialect.command(mechanism, initial);
      return await saslExchange(client, command, dialect.final, dialect.challenge, timeoutMs, dialect.emptyResponse);
    } finally {
      client.close();
    }
  };
}

/**
 * One SASL exchange with an initial response; when the server answers with a challenge (RFC 7628's
 * error JSON), the client sends the empty response it must, and the final answer is returned.
 */
async function saslExchange(
  client: LineClient,
  command: string,
  final: RegExp,
  challenge: RegExp,
  timeoutMs: number,
  emptyResponse = '',
): Promise<string> {
  client.send(command);
  const answer =
    (await client.readUntil(new RegExp(`${final.source}|${challenge.source}`), timeoutMs)).split('\r\n').at(-1) ?? '';
  if (!challenge.test(answer)) return answer;
  client.send(emptyResponse);
  return (await client.readUntil(final, timeoutMs)).split('\r\n').at(-1) ?? '';
}

/** ManageSieve (RFC 5804): STARTTLS, then AUTHENTICATE; returns the server's final answer line. */
export const manageSieveAuthenticate = authenticator({
  implicitTls: false,
  async greet(client) {
    await client.readUntil(/^OK/);
    client.send('STARTTLS');
    await client.readUntil(/^OK/);
    await client.startTls();
    await client.readUntil(/^OK/);
  },
  command: (mechanism, initial) => `AUTHENTICATE "${mechanism}" "${initial}"`,
  final: /^(OK|NO|BYE)/,
  // A challenge is a string (quoted or literal); the empty response is "".
  challenge: /^("|\{)/,
  emptyResponse: '""',
});

/** IMAP over implicit TLS: one AUTHENTICATE with the given initial response; returns the tagged answer. */
export const imapAuthenticate = authenticator({
  implicitTls: true,
  greet: (client) => client.readUntil(/^\* OK/).then(() => undefined),
  command: (mechanism, initial) => `a1 AUTHENTICATE ${mechanism} ${initial}`,
  final: /^a1 /,
  challenge: /^\+ /,
});

/** POP3 over implicit TLS (995): AUTH with an initial response; returns the final +OK/-ERR line. */
export const pop3Authenticate = authenticator({
  implicitTls: true,
  greet: (client) => client.readUntil(/^\+OK/).then(() => undefined),
  command: (mechanism, initial) => `AUTH ${mechanism} ${initial}`,
  final: /^(\+OK|-ERR)/,
  challenge: /^\+ /,
});

/** SMTP submission over implicit TLS (465): EHLO, then AUTH with an initial response; returns the final reply line. */
export const smtpAuthenticate = authenticator({
  implicitTls: true,
  async greet(client) {
    await client.readUntil(/^220 /);
    client.send('EHLO client.example');
    await client.readUntil(/^250 /);
  },
  command: (mechanism, initial) => `AUTH ${mechanism} ${initial}`,
  final: /^[245]\d\d /,
  challenge: /^334 /,
});
