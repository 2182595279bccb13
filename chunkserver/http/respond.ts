// Replies of the bare node:http data path, in the same shape as the fastify error handler's:
// `{code, message, subject}` with the status the code maps to. A failure is remembered with its
// response, and logged once when the response closes (fast-path.ts), with its duration.

import type { ServerResponse } from 'node:http';
import { GfsError } from '../../shared/errors.js';
import { asGfsError } from '../../shared/http/failure-log.js';

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

const failures = new WeakMap<ServerResponse, { error: GfsError; cause: unknown }>();

/** The failure a response was answered with, if it was (read when it closes). */
export function failureOf(response: ServerResponse): { error: GfsError; cause: unknown } | undefined {
  return failures.get(response);
}

export function sendError(response: ServerResponse, error: unknown, url: string): void {
  const gfsError = asGfsError(error, url);
  failures.set(response, { error: gfsError, cause: error });
  if (response.headersSent || response.destroyed) {
    response.destroy();
    return;
  }
  sendJson(response, gfsError.httpStatus, gfsError.toJSON());
}

/** A request target as a URL; anything unparsable is the client's fault (400). */
export function parseUrl(url: string): URL {
  try {
    return new URL(url, 'http://local');
  } catch {
    throw new GfsError('INVALID_ARGUMENT', 'malformed URL', url.slice(0, 200));
  }
}
