import type { FastifyBaseLogger } from 'fastify';

/**
 * What the helper takes up anew on SIGHUP (`s6-svc -h`), without a restart and without dropping a
 * connection: each part that can adds how. The certificate of the HTTPS listener is the first; a part
 * that fails to reload keeps what it had and says so, and the others still reload.
 */
export class Reloads {
  readonly #parts = new Map<string, () => Promise<void>>();

  add(part: string, reload: () => Promise<void>): void {
    this.#parts.set(part, reload);
  }

  async run(log: FastifyBaseLogger): Promise<void> {
    for (const [part, reload] of this.#parts) {
      try {
        await reload();
        log.info({ part }, `reloaded: ${part}`);
      } catch (error) {
        log.error({ part, err: error }, `not reloaded, kept as it was: ${part}`);
      }
    }
  }
}
