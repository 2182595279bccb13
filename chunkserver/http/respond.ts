// Replies of the bare node:http data path, in the same shape as the fastify error handler's:
// `{code, message, subject}` with the status the code maps to.

import type { ServerResponse } from 'node:http';
import { GfsError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

export function sendError(response: ServerResponse, error: unknown, url: string, logger: Logger): void {
  const gfsError = error instanceof GfsError ? error : new GfsError('INTERNAL', describe(error), url);
  if (gfsError.code === 'INTERNAL') logger.error({ err: error, url }, 'request failed');
  if (response.headersSent || response.destroyed) {
    response.destroy();
    return;
  }
  sendJson(response, gfsError.httpStatus, gfsError.toJSON());
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A request target as a URL; anything unparsable is the client's fault (400). */
export function parseUrl(url: string): URL {
  try {
    return new URL(url, 'http://local');
  } catch {
    throw new GfsError('INVALID_ARGUMENT', 'malformed URL', url.slice(0, 200));
  }
}
