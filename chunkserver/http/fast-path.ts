// The data path (push, read, inline writes) served by bare node:http handlers ahead of fastify's
// router on the same port: DESIGN §6 measured fastify at 30–40% over node:http for one-at-a-time
// 1 MiB bodies, and an inline write's body is raw bytes fastify would only pass through.
// Everything else (control routes, healthz, metrics, unknown URLs) goes to fastify unchanged.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../shared/log.js';
import { handleInline, type InlineTarget, isInlineRequest } from './inline-write.js';
import { handlePush, isPushRequest } from './push.js';
import { handleRead, isReadRequest, type ReadTarget } from './read.js';

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

export interface DataPathTarget extends InlineTarget, ReadTarget {
  /** Every push and read request (client I/O: the scrubber waits for it to stop). */
  onDataRequest?: () => void;
}

export function installDataPath(app: FastifyInstance, target: DataPathTarget, logger: Logger): void {
  const server = app.server;
  const fastifyListeners = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (isPushRequest(request)) {
      target.onDataRequest?.();
      void handlePush(target, logger, request, response);
    } else if (isInlineRequest(request)) {
      target.onDataRequest?.();
      void handleInline(target, logger, request, response);
    } else if (isReadRequest(request)) {
      target.onDataRequest?.();
      void handleRead(target, logger, request, response);
    } else {
      for (const listener of fastifyListeners) listener.call(server, request, response);
    }
  });
}
