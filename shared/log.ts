// One pino logger per process; roles and nodes get child loggers so every line says who speaks.

import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(bindings: { role: string; node?: string }): Logger {
  const level = process.env.GFS_LOG_LEVEL ?? 'info';
  // Logs go to stderr: stdout is reserved for what commands print (e.g. `gfs cluster`'s address line).
  return pino({ level, base: { pid: process.pid } }, pino.destination(2)).child(bindings);
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
