import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import pino from 'pino';

/**
 * The helper's log: JSON lines on stdout, written asynchronously (flushed at exit) so a sign-in never
 * waits for the log reader; credentials in requests are never written.
 */
export function helperLog(level: string): FastifyBaseLogger {
  return pino({ level, redact: ['req.headers.authorization', 'req.body'] }, pino.destination({ dest: 1, sync: false }));
}

interface AppOptions {
  bodyLimit: number;
  /** Serve HTTPS with this key and certificate. */
  tls?: { key: Buffer; cert: Buffer };
}

/**
 * A Fastify instance as each of the helper's listeners wants it: one log line per decision comes from
 * the authority, so request lines would only repeat it; schemas refuse what they do not allow,
 * rather than quietly dropping or converting it.
 */
export function fastifyApp(log: FastifyBaseLogger, options: AppOptions): FastifyInstance {
  return Fastify({
    loggerInstance: log,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit,
    trustProxy: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    ...(options.tls === undefined ? {} : { https: options.tls }),
  });
}
