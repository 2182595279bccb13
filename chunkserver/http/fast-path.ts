// The data path (push, read, inline writes) served by bare node:http handlers ahead of fastify's
// router on the same port: DESIGN §6 measured fastify at 30–40% over node:http for one-at-a-time
// 1 MiB bodies, and an inline write's body is raw bytes fastify would only pass through.
// Everything else (control routes, healthz, metrics, unknown URLs) goes to fastify unchanged.
// Each data request is timed into the same per-route histogram as fastify's routes, and a failed
// one is logged once when its response closes (as fastify's error handler does for the others).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { logRequestFailure, peerOf } from '../../shared/http/failure-log.js';
import type { Logger } from '../../shared/log.js';
import type { RequestMetrics } from '../../shared/metrics/request-metrics.js';
import { APPLY_INLINE_URL, PUSH_URL_PREFIX, WRITE_INLINE_URL } from '../../shared/protocol/data.js';
import { handleInline, type InlineTarget, isInlineRequest } from './inline-write.js';
import { handlePush, isPushRequest, type PushRouteTarget } from './push.js';
import { handleRead, isReadRequest, type ReadTarget } from './read.js';
import { failureOf } from './respond.js';

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

export interface DataPathTarget extends InlineTarget, ReadTarget, PushRouteTarget {
  /** Every push and read request (client I/O: the scrubber waits for it to stop). */
  onDataRequest?: () => void;
  requests?: RequestMetrics;
}

/** Route patterns of the data path, as labels (never the URL: it names a chunk or a data id). */
const PUSH_ROUTE = `${PUSH_URL_PREFIX}:dataId`;
const READ_ROUTE = '/chunk/:handle';

export function installDataPath(app: FastifyInstance, target: DataPathTarget, logger: Logger): void {
  const server = app.server;
  const fastifyListeners = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  const observe = (route: string, request: IncomingMessage, response: ServerResponse) => {
    const startedMs = performance.now();
    // Taken now: by the time the response closes, the request may have lost its socket.
    const peer = peerOf(request.socket);
    response.once('close', () => {
      const durationMs = performance.now() - startedMs;
      target.requests?.observe(route, request.method ?? '-', response.statusCode, durationMs / 1000);
      const failure = failureOf(response);
      if (failure !== undefined) {
        const status = failure.error.httpStatus;
        logRequestFailure(
          logger,
          { route, method: request.method ?? '-', peer, status, durationMs },
          failure.error,
          failure.cause,
        );
      }
    });
  };
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (isPushRequest(request)) {
      target.onDataRequest?.();
      observe(PUSH_ROUTE, request, response);
      void handlePush(target, request, response);
    } else if (isInlineRequest(request)) {
      target.onDataRequest?.();
      observe(request.url?.startsWith(WRITE_INLINE_URL) ? WRITE_INLINE_URL : APPLY_INLINE_URL, request, response);
      void handleInline(target, request, response);
    } else if (isReadRequest(request)) {
      target.onDataRequest?.();
      observe(READ_ROUTE, request, response);
      void handleRead(target, request, response);
    } else {
      for (const listener of fastifyListeners) listener.call(server, request, response);
    }
  });
}
