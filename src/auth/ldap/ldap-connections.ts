import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { Client, type Entry, InvalidCredentialsError, ResultCodeError, type SearchOptions } from 'ldapts';
import type { LdapSettings } from '../../config/ldap-settings.ts';
import type { Logger } from '../../vocabulary/logger.ts';
import { DirectoryUnavailable } from '../directory.ts';

/**
 * Pooled connections to the directory, with fail-over across LDAP_SERVER_HOST:
 *  - searches share `poolSize` connections bound as the service account (LDAP multiplexes requests);
 *  - password checks borrow a connection of their own for the bind, up to `poolSize` at once.
 * Anything that is not an answer from the directory (refused, timed out, dropped) is DirectoryUnavailable,
 * so the caller reports a temporary failure, never "wrong password" and never success.
 */
export class LdapConnections {
  private readonly settings: LdapSettings;
  private readonly log: Logger;
  private readonly tls: ConnectionOptions;
  private readonly searchers: (Promise<Client> | undefined)[];
  private nextSearcher = 0;
  private readonly idleBinders: Client[] = [];
  private bindersInUse = 0;
  private readonly waitingForBinder: (() => void)[] = [];
  /** Index of the server that last answered; new connections try it first. */
  private preferred = 0;

  constructor(settings: LdapSettings, log: Logger) {
    this.settings = settings;
    this.log = log;
    this.tls = settings.caFile === undefined ? {} : { ca: readFileSync(settings.caFile) };
    this.searchers = new Array(settings.poolSize).fill(undefined);
  }

  async search(base: string, filter: string, options: SearchOptions = {}): Promise<Entry[]> {
    const run = async (index: number) => {
      const client = await this.searcher(index);
      return (await client.search(base, { scope: 'sub', ...options, filter })).searchEntries;
    };
    const index = this.nextSearcher++ % this.searchers.length;
    try {
      return await run(index);
    } catch (error) {
      if (error instanceof ResultCodeError) throw unavailable(error);
      // A dropped connection is replaced once (on whichever server answers) before giving up.
      this.discardSearcher(index);
      try {
        return await run(index);
      } catch (retryError) {
        if (!(retryError instanceof ResultCodeError)) this.discardSearcher(index);
        throw unavailable(retryError);
      }
    }
  }

  /** True when the directory accepts this password for this DN; false when it says the credentials are wrong. */
  async passwordMatches(dn: string, password: string): Promise<boolean> {
    // An empty password is an unauthenticated bind (RFC 4513 5.1.2), which servers answer with success.
    if (password === '') return false;
    try {
      return await this.bindOn(await this.borrowBinder(true), dn, password);
    } catch (error) {
      if (!(error instanceof PooledConnectionLost)) throw error;
      // A pooled connection can outlive its server's address (a restarted container answers at another
      // one) without ever seeing it close. The other idle ones are as old: all make way for a new one.
      this.dropIdleBinders();
      return this.bindOn(await this.borrowBinder(false), dn, password);
    }
  }

  private async bindOn(binder: { client: Client; pooled: boolean }, dn: string, password: string): Promise<boolean> {
    const { client, pooled } = binder;
    let healthy = true;
    try {
      await client.bind(dn, password);
      return true;
    } catch (error) {
      if (error instanceof InvalidCredentialsError) return false;
      healthy = false;
      throw pooled && !(error instanceof ResultCodeError)
        ? new PooledConnectionLost(messageOf(error))
        : unavailable(error);
    } finally {
      this.returnBinder(client, healthy);
    }
  }

  async close(): Promise<void> {
    const clients = [
      ...this.idleBinders,
      ...(await Promise.all(this.searchers.map((searcher) => searcher?.catch(() => undefined)))),
    ];
    this.idleBinders.length = 0;
    this.searchers.fill(undefined);
    await Promise.all(clients.map((client) => client?.unbind().catch(() => undefined)));
  }

  private searcher(index: number): Promise<Client> {
    const existing = this.searchers[index];
    if (existing !== undefined) return existing;
    const opened = this.open().catch((error: unknown) => {
      this.searchers[index] = undefined;
      throw error;
    });
    this.searchers[index] = opened;
    return opened;
  }

  private discardSearcher(index: number): void {
    const client = this.searchers[index];
    this.searchers[index] = undefined;
    void client?.then((found) => found.unbind()).catch(() => undefined);
  }

  /** An idle connection when `reuse` allows and one is left, else a new one (in an idle one's place); never more than `poolSize`. */
  private async borrowBinder(reuse: boolean): Promise<{ client: Client; pooled: boolean }> {
    while (this.idleBinders.length === 0 && this.bindersInUse >= this.settings.poolSize) {
      await new Promise<void>((resolve) => this.waitingForBinder.push(resolve));
    }
    this.bindersInUse += 1;
    const idle = this.idleBinders.pop();
    if (reuse && idle?.isConnected) return { client: idle, pooled: true };
    void idle?.unbind().catch(() => undefined);
    try {
      return { client: await this.open(), pooled: false };
    } catch (error) {
      this.bindersInUse -= 1;
      this.waitingForBinder.shift()?.();
      throw error;
    }
  }

  private dropIdleBinders(): void {
    for (const client of this.idleBinders.splice(0)) void client.unbind().catch(() => undefined);
  }

  private returnBinder(client: Client, healthy: boolean): void {
    this.bindersInUse -= 1;
    if (healthy && client.isConnected) this.idleBinders.push(client);
    else void client.unbind().catch(() => undefined);
    this.waitingForBinder.shift()?.();
  }

  /** A new connection to the first server that answers, starting with the one that answered last. */
  private async open(): Promise<Client> {
    const { servers } = this.settings;
    let lastError: unknown;
    for (let attempt = 0; attempt < servers.length; attempt++) {
      const index = (this.preferred + attempt) % servers.length;
      try {
        const client = await this.connect(servers[index] as string);
        if (index !== this.preferred) this.log.warn({ server: servers[index] }, 'LDAP: failed over to another server');
        this.preferred = index;
        return client;
      } catch (error) {
        lastError = error;
        this.log.warn({ server: servers[index], err: messageOf(error) }, 'LDAP server did not answer');
      }
    }
    throw unavailable(lastError);
  }

  private async connect(url: string): Promise<Client> {
    const { timeoutMs, startTls, bind } = this.settings;
    const implicitTls = url.startsWith('ldaps:');
    // ldapts wraps any connection given tlsOptions in TLS, ldap:// too; StartTLS gets them below instead.
    const client = new Client({
      url,
      timeout: timeoutMs,
      connectTimeout: timeoutMs,
      ...(implicitTls ? { tlsOptions: this.tls } : {}),
      ...singleUseSocket(implicitTls),
    });
    try {
      if (startTls) await client.startTLS({ ...this.tls, servername: new URL(url).hostname });
      // Binding (as the service account, or anonymously) proves the server answers before the connection is pooled.
      await client.bind(bind?.dn ?? '', bind?.password ?? '');
      return client;
    } catch (error) {
      await client.unbind().catch(() => undefined);
      throw error;
    }
  }
}

/**
 * ldapts silently reconnects a dropped connection, unauthenticated and without StartTLS.
 * A search on such a connection would find nothing and look like "no such user"; a connection
 * that may open its socket only once fails instead, and the pool replaces it properly.
 */
function singleUseSocket(implicitTls: boolean): {
  createConnection?: typeof netConnect;
  createSecureConnection?: typeof tlsConnect;
} {
  let opened = false;
  const once = <T extends (...args: never[]) => unknown>(open: T): T =>
    ((...args: Parameters<T>) => {
      if (opened) throw new Error('LDAP connection was lost');
      opened = true;
      return open(...args);
    }) as T;
  return implicitTls ? { createSecureConnection: once(tlsConnect) } : { createConnection: once(netConnect) };
}

/** A pooled connection failed without an answer from the directory; a new connection may still get one. */
class PooledConnectionLost extends DirectoryUnavailable {}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function unavailable(error: unknown): DirectoryUnavailable {
  return error instanceof DirectoryUnavailable ? error : new DirectoryUnavailable(`LDAP: ${messageOf(error)}`);
}
