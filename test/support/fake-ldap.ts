import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { BerReader, BerWriter } from 'ldapts';

const BIND_REQUEST = 0x60;
const BIND_RESPONSE = 0x61;
const UNBIND_REQUEST = 0x42;
const INVALID_CREDENTIALS = 49;

/**
 * An LDAP server that answers simple binds only: enough to exercise a connection pool.
 * `vanish()` makes it stop answering on the connections it has, without closing them, which is what a
 * client sees when a container it talks to is stopped and started again at another address.
 */
export class FakeLdap {
  private readonly server: Server;
  private readonly passwords: Map<string, string>;
  private readonly vanished = new Set<Socket>();
  private readonly open = new Set<Socket>();
  connections = 0;

  private constructor(passwords: Map<string, string>) {
    this.passwords = passwords;
    this.server = createServer((socket) => this.serve(socket));
  }

  static async start(passwords: Record<string, string>): Promise<FakeLdap> {
    const fake = new FakeLdap(new Map(Object.entries(passwords)));
    fake.server.listen(0, '127.0.0.1');
    await once(fake.server, 'listening');
    return fake;
  }

  get url(): string {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening');
    return `ldap://127.0.0.1:${address.port}`;
  }

  vanish(): void {
    for (const socket of this.open) this.vanished.add(socket);
  }

  async stop(): Promise<void> {
    for (const socket of this.open) socket.destroy();
    this.server.close();
    await once(this.server, 'close');
  }

  private serve(socket: Socket): void {
    this.connections += 1;
    this.open.add(socket);
    socket.on('close', () => this.open.delete(socket));
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      for (
        let length = messageLength(pending);
        length !== undefined && pending.length >= length;
        length = messageLength(pending)
      ) {
        const message = pending.subarray(0, length);
        pending = pending.subarray(length);
        if (!this.vanished.has(socket)) this.answer(socket, message);
      }
    });
  }

  private answer(socket: Socket, message: Buffer): void {
    const reader = new BerReader(message);
    reader.readSequence();
    const messageId = reader.readInt() ?? 0;
    const operation = reader.readSequence();
    if (operation === UNBIND_REQUEST) return void socket.end();
    if (operation !== BIND_REQUEST) return void socket.destroy();
    reader.readInt();
    const name = reader.readString() ?? '';
    const password = reader.readString(0x80) ?? '';
    const status = this.passwords.get(name) === password ? 0 : INVALID_CREDENTIALS;
    socket.write(bindResponse(messageId, status));
  }
}

/** The length of the first BER element in the buffer, when its header is complete. */
function messageLength(buffer: Buffer): number | undefined {
  if (buffer.length < 2) return undefined;
  const first = buffer[1] as number;
  if (first < 0x80) return 2 + first;
  const octets = first & 0x7f;
  if (buffer.length < 2 + octets) return undefined;
  return 2 + octets + buffer.readUIntBE(2, octets);
}

/** LDAPMessage { messageID, BindResponse { resultCode, matchedDN "", diagnosticMessage "" } } (RFC 4511 4.2.2). */
function bindResponse(messageId: number, status: number): Buffer {
  const writer = new BerWriter();
  writer.startSequence();
  writer.writeInt(messageId);
  writer.startSequence(BIND_RESPONSE);
  writer.writeEnumeration(status);
  writer.writeString('');
  writer.writeString('');
  writer.endSequence();
  writer.endSequence();
  return writer.buffer;
}
