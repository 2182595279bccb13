// Builds the fastify instance every role serves on: JSON control routes validated against the
// shared protocol schemas, raw octet-stream bodies passed through as streams, and one error
// handler that turns any failure into `{code, message}` with the status the code maps to.

import type { Server as TlsServer } from 'node:tls';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import { GfsError } from '../errors.js';
import { CONTROL_BODY_BYTES_MAX, HTTP_KEEP_ALIVE_TIMEOUT_MS, PIECE_BYTES_MAX } from '../limits.js';
import type { ServerTls } from '../tls.js';
import { guardConnections, HTTP_SERVER_OPTIONS } from './connection-guard.js';
import { logRequestFailure, peerOf } from './failure-log.js';
import { answerPlainHttp } from './plain-to-tls.js';
import type { BodyOf, ReplyOf, RouteDef } from './route.js';

/** With `tls`, serves HTTPS only (a cluster is all TLS or all plain: docs/security-tls.md). */
export function createRpcServer(logger: Logger, tls?: ServerTls): FastifyInstance {
  const app = Fastify({
    // Typed as the http server: the https one has the same 'request' events and address(), all
    // that the routes and the chunkserver's data path use.
    ...((tls === undefined ? {} : { https: { ...HTTP_SERVER_OPTIONS, cert: tls.cert, key: tls.key } }) as object),
    loggerInstance: logger as FastifyBaseLogger,
    // Per-request log lines would dominate the data path; failures are logged by the handlers below.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: CONTROL_BODY_BYTES_MAX,
    http: HTTP_SERVER_OPTIONS,
    keepAliveTimeout: HTTP_KEEP_ALIVE_TIMEOUT_MS,
    // Ajv must not coerce or strip: a malformed request is refused, never reinterpreted.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  if (tls !== undefined) answerPlainHttp(app.server as unknown as TlsServer);
  guardConnections(app.server);
  // Data bodies stay streams: handlers consume them piece by piece with bounded memory.
  app.addContentTypeParser('application/octet-stream', { bodyLimit: PIECE_BYTES_MAX }, (_request, payload, done) => {
    done(null, payload);
  });
  app.setErrorHandler((error: unknown, request, reply) => {
    const gfsError = toGfsError(error, request.url);
    logFailure(request, reply, gfsError, error);
    void reply.status(gfsError.httpStatus).send(gfsError.toJSON());
  });
  app.setNotFoundHandler((request, reply) => {
    const gfsError = new GfsError('NOT_FOUND', 'no such route', `${request.method} ${request.url}`);
    logFailure(request, reply, gfsError, gfsError);
    void reply.status(404).send(gfsError.toJSON());
  });
  return app;
}

function logFailure(request: FastifyRequest, reply: FastifyReply, error: GfsError, cause: unknown): void {
  logRequestFailure(
    request.log as Logger,
    {
      route: request.routeOptions.url ?? request.url.slice(0, 200),
      method: request.method,
      peer: peerOf(request.socket),
      status: error.httpStatus,
      durationMs: reply.elapsedTime,
    },
    error,
    cause,
  );
}

function toGfsError(error: unknown, url: string): GfsError {
  if (error instanceof GfsError) return error;
  const candidate = error as { statusCode?: number; validation?: unknown; message?: string; code?: string };
  if (candidate.validation !== undefined) {
    return new GfsError('INVALID_ARGUMENT', `malformed request: ${candidate.message ?? 'invalid'}`, url);
  }
  if (typeof candidate.statusCode === 'number' && candidate.statusCode >= 400 && candidate.statusCode < 500) {
    if (candidate.statusCode === 413) return new GfsError('INVALID_ARGUMENT', 'request body too large', url);
    return new GfsError('INVALID_ARGUMENT', `malformed request: ${candidate.message ?? 'bad request'}`, url);
  }
  return new GfsError('INTERNAL', candidate.message ?? 'internal error', url);
}

/** Registers a JSON control route from its shared definition; the handler sees typed input. */
export function serveRoute<R extends RouteDef>(
  app: FastifyInstance,
  def: R,
  handler: (body: BodyOf<R>, request: FastifyRequest) => Promise<ReplyOf<R>>,
): void {
  app.route({
    method: def.method,
    url: def.url,
    schema: def.method === 'GET' ? { response: { 200: def.reply } } : { body: def.body, response: { 200: def.reply } },
    handler: async (request: FastifyRequest, _reply: FastifyReply) => handler(request.body as BodyOf<R>, request),
  });
}

/** Listens and returns the bound `host:port` (port 0 picks a free one). */
export async function listen(app: FastifyInstance, host: string, port: number): Promise<string> {
  await app.listen({ host, port });
  return `${host}:${boundPort(app)}`;
}

/** The port a listening server got (the one asked for, or the free one port 0 picked). */
export function boundPort(app: FastifyInstance): number {
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  return address.port;
}
