import { chmod, mkdir, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from '../vocabulary/logger.ts';

/**
 * A unix socket server for Postfix's lookups, readable by the helper and group postfix only (the
 * directory's setgid bit gives the socket group postfix). An error after listening (no file
 * descriptor left for a connection) is logged: the helper keeps answering the others.
 */
export async function listenOnUnixSocket(
  path: string,
  onConnection: (socket: Socket) => void,
  log: Logger,
): Promise<Server> {
  await mkdir(dirname(path), { recursive: true });
  await rm(path, { force: true });
  const server = createServer(onConnection);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(path, resolve));
  server.on('error', (error) => log.error({ err: error.message, socket: path }, 'unix socket server error'));
  await chmod(path, 0o660);
  return server;
}
