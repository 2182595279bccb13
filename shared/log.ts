// One pino logger per process; roles and nodes get child loggers so every line says who speaks
// ({role: 'chunkserver', node: '<id>'}, then {module: 'scrub'} and so on). Lines go to stderr as
// JSON, one object per line, for a log shipper; on a terminal they are rendered for a person by
// pino-pretty in the same process (no transport worker thread). docs/logging.md has the fields.

import pino, { type DestinationStream, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import { GfsError } from './errors.js';

export type { Logger };

/** pino's levels, most to least severe, and `silent` (nothing at all). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_LEVEL_DEFAULT: LogLevel = 'info';

export function isLogLevel(text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text);
}

export interface LoggerOptions {
  /** `--log-level`; when absent GFS_LOG_LEVEL, then `info`. */
  level?: LogLevel | undefined;
}

export function createLogger(bindings: { role: string; node?: string }, options: LoggerOptions = {}): Logger {
  const level = options.level ?? levelFromEnv();
  return pino({ level, base: { pid: process.pid }, serializers: { err: serializeError } }, destination()).child(
    bindings,
  );
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

function levelFromEnv(): LogLevel {
  const text = process.env.GFS_LOG_LEVEL;
  if (text === undefined || text === '') return LOG_LEVEL_DEFAULT;
  if (!isLogLevel(text)) {
    throw new GfsError('INVALID_ARGUMENT', `unknown log level in GFS_LOG_LEVEL (${LOG_LEVELS.join(', ')})`, text);
  }
  return text;
}

/**
 * Logs go to stderr: stdout is reserved for what commands print (e.g. `gfs cluster`'s address
 * line). Pretty on a terminal, JSON anywhere else; GFS_LOG_FORMAT=json|pretty overrides.
 */
function destination(): DestinationStream {
  const format = process.env.GFS_LOG_FORMAT;
  const pretty = format === 'pretty' || (format !== 'json' && process.stderr.isTTY === true);
  if (!pretty) return pino.destination(2);
  return pinoPretty({
    destination: 2,
    // A crash right after a line must not lose it: the pretty stream writes synchronously, as
    // pino.destination(2) does.
    sync: true,
    colorize: process.stderr.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
}

/**
 * Operating errors (a peer down, a stale version) are expected: their code and subject say all, a
 * stack trace would only bury them. Anything else is a bug and keeps its stack.
 */
function serializeError(error: unknown): unknown {
  if (error instanceof GfsError) return { type: 'GfsError', ...error.toJSON() };
  return pino.stdSerializers.err(error as Error);
}
