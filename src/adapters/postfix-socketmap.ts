import type { Server, Socket } from 'node:net';
import type { FastifyBaseLogger as Logger } from 'fastify';
import { type Directory, hasMailbox } from '../auth/directory.ts';
import { aliasTargets, claimsOurDomain, senderRelay } from '../auth/mail-routing.ts';
import type { SenderRelays } from '../config/relay-settings.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { type PostfixMap, SOCKETMAP_REPLIES } from '../vocabulary/wire-contract.ts';
import { listenOnUnixSocket } from './unix-socket-server.ts';

/**
 * Postfix socketmap tables (socketmap:unix:PATH:NAME, the contract's map names) answered from the directory.
 * Wire format: netstrings. Request "NAME key", reply "OK data" | "NOTFOUND " | "TEMP reason" | "PERM reason".
 */
const MAX_REQUEST = 10_000;

type MapLookup = (key: string) => Promise<string | undefined>;

/** The access(5) action for mail from outside claiming one of our domains: our own people sign in to send. */
const FORGED_OWN_SENDER = 'REJECT 5.7.1 this domain sends its mail signed in (submission, port 587 or 465)';

/**
 * What the maps answer besides the directory: who gets postmaster@ and abuse@, and the sender-dependent
 * relays, read at each lookup: a reload replaces them (the config folder's relay table changed).
 */
export interface MapRouting {
  postmaster: string;
  /** RELAY_HOST, RELAY_MAP: main.cf names the `relay` map only with them; without, it finds nothing. */
  senderRelays: SenderRelays | undefined;
}

export function postfixMaps(directory: Directory, routing: MapRouting): Record<PostfixMap, MapLookup> {
  return {
    relay: async (key) =>
      routing.senderRelays === undefined ? undefined : senderRelay(directory, routing.senderRelays, key),
    domain: async (key) => ((await directory.servesDomain(key)) ? 'OK' : undefined),
    mailbox: async (key) => ((await hasMailbox(directory, key)) ? 'OK' : undefined),
    alias: async (key) => (await aliasTargets(directory, key, routing.postmaster))?.join(','),
    senders: async (key) => {
      const owners = await directory.sendersFor(key);
      return owners.length > 0 ? owners.join(',') : undefined;
    },
    ownDomainSender: async (key) => ((await claimsOurDomain(directory, key)) ? FORGED_OWN_SENDER : undefined),
  };
}

/** The same maps, each lookup timed in the metrics (postfix-domain, postfix-mailbox, …). */
export function timedMaps(maps: Record<string, MapLookup>, metrics: Metrics): Record<string, MapLookup> {
  return Object.fromEntries(
    Object.entries(maps).map(([name, lookup]) => [
      name,
      (key: string) => metrics.timed(`postfix-${name}`, () => lookup(key)),
    ]),
  );
}

export function netstring(text: string): string {
  return `${Buffer.byteLength(text)}:${text},`;
}

/** Splits complete netstrings off the front of a buffer; returns them and the unconsumed rest. */
export function takeNetstrings(buffer: Buffer): { messages: string[]; rest: Buffer } {
  const messages: string[] = [];
  let rest = buffer;
  for (;;) {
    const colon = rest.indexOf(':');
    // A length has at most 5 digits: more bytes without a colon is no netstring, not a reason to buffer on.
    if (colon < 0) {
      if (rest.length > 5) throw new Error('malformed netstring length');
      break;
    }
    const header = rest.subarray(0, colon).toString('latin1');
    if (!/^\d{1,5}$/.test(header)) throw new Error('malformed netstring length');
    const length = Number(header);
    if (length > MAX_REQUEST) throw new Error('netstring too long');
    if (rest.length < colon + 1 + length + 1) break;
    if (rest[colon + 1 + length] !== 0x2c) throw new Error('netstring not terminated by a comma');
    messages.push(rest.subarray(colon + 1, colon + 1 + length).toString('utf8'));
    rest = rest.subarray(colon + 2 + length);
  }
  return { messages, rest };
}

export async function answerSocketmap(maps: Record<string, MapLookup>, request: string): Promise<string> {
  const space = request.indexOf(' ');
  const name = request.slice(0, space);
  // Only the maps themselves: a name like "constructor" must not reach the object's prototype.
  const lookup = space > 0 && Object.hasOwn(maps, name) ? maps[name] : undefined;
  if (lookup === undefined) return `${SOCKETMAP_REPLIES.permanent} unknown map`;
  try {
    const found = await lookup(request.slice(space + 1));
    return found === undefined ? `${SOCKETMAP_REPLIES.notFound} ` : `${SOCKETMAP_REPLIES.found} ${found}`;
  } catch (error) {
    return `${SOCKETMAP_REPLIES.temporary} ${(error as Error).message.replace(/[^\x20-\x7e]/g, ' ').slice(0, 200)}`;
  }
}

/** Only the helper and Postfix may ask: the maps reveal which addresses exist. */
export function serveSocketmap(path: string, maps: Record<string, MapLookup>, log: Logger): Promise<Server> {
  return listenOnUnixSocket(path, (socket) => handleConnection(socket, maps, log), log);
}

/** One Postfix connection: netstring requests answered in order; a malformed one closes it. */
export function handleConnection(socket: Socket, maps: Record<string, MapLookup>, log: Logger): void {
  let buffered: Buffer = Buffer.alloc(0);
  let queue = Promise.resolve();
  socket.on('data', (chunk) => {
    try {
      const { messages, rest } = takeNetstrings(Buffer.concat([buffered, chunk]));
      buffered = rest;
      for (const message of messages) {
        queue = queue.then(async () => {
          socket.write(netstring(await answerSocketmap(maps, message)));
        });
      }
    } catch (error) {
      log.warn({ err: (error as Error).message }, 'socketmap: bad request, closing');
      socket.destroy();
    }
  });
  socket.on('error', () => socket.destroy());
}
