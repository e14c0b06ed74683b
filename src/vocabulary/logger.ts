/**
 * What the sign-in code logs through: pino's calling style, an object of fields and then the message.
 * Fastify's logger is one; a command-line tool can give one that writes warnings to the terminal.
 */
export interface Logger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}
