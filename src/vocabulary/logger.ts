import type { LogEvent } from './log-events.ts';

/** A log line's fields; `event`, when there, is one of the catalogue's. */
export interface LogFields {
  event?: LogEvent;
  [field: string]: unknown;
}

/**
 * What the sign-in code logs through: pino's calling style, an object of fields and then the message.
 * Fastify's logger is one; a command-line tool can give one that writes warnings to the terminal.
 */
export interface Logger {
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
}
