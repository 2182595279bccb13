// The one log line of a failed request, written by the server that answered it, once, when the
// reply goes out (the fastify error handler, the chunkserver's bare data path). The level follows
// what the failure means to an operator: a bug (INTERNAL) is an error with its stack; a server that
// could not do its part (a peer unreachable, a damaged replica, a full disk) a warning; a refusal
// the caller brought on itself (4xx: no such file, a stale version) or was told to retry (BUSY,
// NOT_READY during start-up) is routine and logged at debug, so it is never silently dropped.

import type { Logger } from 'pino';
import { GfsError } from '../errors.js';

export interface RequestFailure {
  /** Route pattern (`/chunk/:handle`), or the URL when no route matched. */
  route: string;
  method: string;
  /** The caller's `host:port`. */
  peer: string;
  status: number;
  durationMs: number;
}

/** Failures a caller is expected to meet and retry: not worth an operator's attention. */
const ROUTINE_UNAVAILABLE = new Set(['BUSY', 'NOT_READY']);

export function logRequestFailure(logger: Logger, failure: RequestFailure, error: GfsError, cause: unknown): void {
  const fields = {
    ...failure,
    durationMs: Math.round(failure.durationMs * 1000) / 1000,
    code: error.code,
    ...(error.subject === undefined ? {} : { subject: error.subject }),
  };
  if (error.code === 'INTERNAL') logger.error({ ...fields, err: cause }, `request failed: ${error.message}`);
  else if (failure.status >= 500 && !ROUTINE_UNAVAILABLE.has(error.code)) {
    logger.warn(fields, `request failed: ${error.message}`);
  } else logger.debug(fields, `request failed: ${error.message}`);
}

/**
 * `host:port` of the other end of a socket (`-` once it is gone). Node sets a request's `socket`
 * to null once the connection is torn down, whatever its type says: a response that closes after
 * its client went away must still be logged, not crash the server.
 */
export function peerOf(
  socket: { remoteAddress?: string | undefined; remotePort?: number | undefined } | null | undefined,
): string {
  if (socket === null || socket === undefined || socket.remoteAddress === undefined) return '-';
  return `${socket.remoteAddress}:${socket.remotePort ?? 0}`;
}

export function asGfsError(error: unknown, subject: string): GfsError {
  if (error instanceof GfsError) return error;
  return new GfsError('INTERNAL', error instanceof Error ? error.message : String(error), subject);
}
