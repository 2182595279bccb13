// What every gfs server (master, chunkserver, gateway) does against hostile or broken clients at
// the connection level, before any route sees a request: bounded request heads, a deadline for
// them, a cut for connections whose client stops sending (or reading) mid-request, and a bound on
// open connections. The values and their reasons are in shared/limits.ts and docs/security-input.md.

import type { IncomingMessage, Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import {
  HTTP_CONNECTIONS_CHECK_MS,
  HTTP_CONNECTIONS_MAX,
  HTTP_HEADER_BYTES_MAX,
  HTTP_HEADERS_TIMEOUT_MS,
  HTTP_IDLE_TIMEOUT_MS,
  HTTP_KEEP_ALIVE_TIMEOUT_MS,
} from '../limits.js';

/** Options for node's `http.createServer` (fastify's `http` option): these exist only at creation. */
export const HTTP_SERVER_OPTIONS: ServerOptions = {
  maxHeaderSize: HTTP_HEADER_BYTES_MAX,
  headersTimeout: HTTP_HEADERS_TIMEOUT_MS,
  // No cap on a whole request: a large body takes as long as it needs while bytes keep arriving;
  // guardConnections cuts a body that stops.
  requestTimeout: 0,
  keepAliveTimeout: HTTP_KEEP_ALIVE_TIMEOUT_MS,
  connectionsCheckingInterval: HTTP_CONNECTIONS_CHECK_MS,
};

/** The two bounds guardConnections applies; tests shrink them to see them act within seconds. */
export interface ConnectionBounds {
  idleTimeoutMs: number;
  connectionsMax: number;
}

const BOUNDS: ConnectionBounds = { idleTimeoutMs: HTTP_IDLE_TIMEOUT_MS, connectionsMax: HTTP_CONNECTIONS_MAX };

/**
 * Applies the connection bound and the inactivity cut to a server made with HTTP_SERVER_OPTIONS
 * (settings a framework may have overwritten are set again).
 */
export function guardConnections(server: Server, bounds: ConnectionBounds = BOUNDS): void {
  server.maxConnections = bounds.connectionsMax;
  server.headersTimeout = HTTP_HEADERS_TIMEOUT_MS;
  server.requestTimeout = 0;
  server.keepAliveTimeout = HTTP_KEEP_ALIVE_TIMEOUT_MS;
  const current = new WeakMap<Socket, IncomingMessage>();
  server.on('request', (request: IncomingMessage, response) => {
    const socket = request.socket;
    current.set(socket, request);
    response.once('close', () => {
      if (current.get(socket) === request) current.delete(socket);
    });
  });
  // A socket with no traffic either way for this long raises 'timeout'; with a listener here,
  // node leaves the decision to it instead of always destroying the socket.
  server.setTimeout(bounds.idleTimeoutMs);
  server.on('timeout', (socket: Socket) => {
    const request = current.get(socket);
    if (request !== undefined && isServersWait(request, socket)) return;
    socket.destroy();
  });
}

/**
 * True when a silent connection is waiting for this server, not for its client: the whole request
 * has arrived and nothing is queued for a client that does not read (a clone or a serial-order wait
 * is at work), or body bytes wait unread here (backpressure from further along). A request without
 * a socket timeout of its own is bounded by its handler's timeouts instead.
 */
function isServersWait(request: IncomingMessage, socket: Socket): boolean {
  if (!request.complete) return request.readableLength > 0;
  return socket.writableLength === 0;
}
