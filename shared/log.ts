// One pino logger per process; roles and nodes get child loggers so every line says who speaks.

import pino, { type Logger } from 'pino';
import { GfsError } from './errors.js';

export type { Logger };

export function createLogger(bindings: { role: string; node?: string }): Logger {
  const level = process.env.GFS_LOG_LEVEL ?? 'info';
  // Logs go to stderr: stdout is reserved for what commands print (e.g. `gfs cluster`'s address line).
  return pino({ level, base: { pid: process.pid }, serializers: { err: serializeError } }, pino.destination(2)).child(
    bindings,
  );
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * Operating errors (a peer down, a stale version) are expected: their code and subject say all, a
 * stack trace would only bury them. Anything else is a bug and keeps its stack.
 */
function serializeError(error: unknown): unknown {
  if (error instanceof GfsError) return { type: 'GfsError', ...error.toJSON() };
  return pino.stdSerializers.err(error as Error);
}
