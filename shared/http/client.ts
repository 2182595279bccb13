// The client side of every RPC: undici keep-alive pools, JSON control calls checked against the
// shared route definitions, and transport failures turned into UNAVAILABLE errors naming the peer.
// With a logger, each failed call is logged once at debug (route, peer, code, duration): the
// server that answered logs its side (failure-log.ts), and the caller decides what a failure
// means, so at the caller it is a trace for diagnosis, never a warning of its own.

import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import { Agent, type Dispatcher } from 'undici';
import { errorFromBody, GfsError } from '../errors.js';
import { CONNECT_TIMEOUT_MS, RPC_TIMEOUT_MS } from '../limits.js';
import { signPeerRequest } from '../security/peer-signature.js';
import { clientSecureContext, type Scheme, tlsFailureText } from '../tls.js';
import type { BodyOf, ReplyOf, RouteDef } from './route.js';

/** How long close() lets requests in flight finish before aborting them. */
export const CLOSE_GRACE_MS = 2_000;

export interface RpcClientOptions {
  connectionsPerOrigin?: number;
  timeoutMs?: number;
  /** Failed calls are logged here at debug. */
  logger?: Logger;
  /**
   * The scheme of bare `host:port` addresses (chunkservers'): a cluster is all TLS or all plain,
   * so a client of a TLS master talks https to its chunkservers too. Default http.
   */
  scheme?: Scheme;
  /** PEM certificates trusted on top of Node's roots (`--tls-ca`): a cluster's own CA. */
  ca?: string;
  /**
   * The cluster's peer-request key (ClusterKeys.peerRequest) of a server calling another server:
   * every JSON call, and every raw request whose body is bytes in hand (or none), is signed over
   * exactly what is sent. A streamed body (a push forwarded down the chain) cannot be digested
   * before it is sent and goes unsigned: chunk access tokens authorise those. Clients have none.
   */
  peerKey?: Buffer | undefined;
}

/** `host:port` or a URL → the origin undici wants; a bare address gets `scheme`. */
export function originOf(address: string, scheme: Scheme = 'http'): string {
  return address.startsWith('http://') || address.startsWith('https://')
    ? address.replace(/\/+$/, '')
    : `${scheme}://${address}`;
}

export class RpcClient {
  readonly dispatcher: Agent;
  private readonly timeoutMs: number;
  private readonly logger: Logger | undefined;
  private readonly scheme: Scheme;
  private readonly peerKey: Buffer | undefined;
  /** Aborts every request still in flight when close() runs out of patience. */
  private readonly aborter = new AbortController();

  constructor(options: RpcClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? RPC_TIMEOUT_MS;
    this.logger = options.logger;
    this.scheme = options.scheme ?? 'http';
    this.peerKey = options.peerKey;
    // Every request in flight listens on the one signal: hundreds at once are normal, not a leak.
    setMaxListeners(0, this.aborter.signal);
    this.dispatcher = new Agent({
      connections: options.connectionsPerOrigin ?? 32,
      keepAliveTimeout: 30_000,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      connect: {
        timeout: Math.min(CONNECT_TIMEOUT_MS, this.timeoutMs),
        ...(options.ca === undefined ? {} : { secureContext: clientSecureContext(options.ca) }),
      },
    });
  }

  /**
   * Calls a JSON route. `urlPath` overrides the definition's URL when it has parameters; `headers`
   * go with the request (a client's Authorization, a chunk access token).
   */
  async call<R extends RouteDef>(
    address: string,
    def: R,
    body: BodyOf<R>,
    urlPath = def.url,
    headers?: Readonly<Record<string, string>>,
  ): Promise<ReplyOf<R>> {
    const startedMs = performance.now();
    try {
      return await this.callOnce(address, def, body, urlPath, headers);
    } catch (error) {
      this.logFailure(def.method, def.url, address, error, startedMs);
      throw error;
    }
  }

  private async callOnce<R extends RouteDef>(
    address: string,
    def: R,
    body: BodyOf<R>,
    urlPath: string,
    headers: Readonly<Record<string, string>> | undefined,
  ): Promise<ReplyOf<R>> {
    const response = await this.send(
      address,
      def.method === 'GET'
        ? { method: 'GET', path: urlPath, ...(headers === undefined ? {} : { headers }) }
        : {
            method: def.method,
            path: urlPath,
            headers: { ...headers, 'content-type': 'application/json' },
            body: JSON.stringify(body),
          },
    );
    if (response.statusCode >= 400) throw await errorFromResponse(response, address);
    const text = await response.body.text().catch((error: unknown) => {
      throw unavailable(address, error);
    });
    try {
      return (text === '' ? {} : JSON.parse(text)) as ReplyOf<R>;
    } catch {
      throw new GfsError('INTERNAL', 'malformed reply', address);
    }
  }

  /** A raw request (data paths); transport failures become UNAVAILABLE. Non-2xx is left to the caller. */
  async request(address: string, options: Omit<Dispatcher.RequestOptions, 'origin'>): Promise<Dispatcher.ResponseData> {
    const startedMs = performance.now();
    try {
      return await this.send(address, options);
    } catch (error) {
      // The path without its query: it names the data, and the log line names the route.
      this.logFailure(options.method, options.path.split('?')[0] ?? '', address, error, startedMs);
      throw error;
    }
  }

  private async send(
    address: string,
    options: Omit<Dispatcher.RequestOptions, 'origin'>,
  ): Promise<Dispatcher.ResponseData> {
    try {
      return await this.dispatcher.request({
        origin: originOf(address, this.scheme),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal: this.aborter.signal,
        ...this.signed(options),
      });
    } catch (error) {
      throw unavailable(address, error);
    }
  }

  /** The request with its peer signature headers, when this client signs and the body allows. */
  private signed(options: Omit<Dispatcher.RequestOptions, 'origin'>): Omit<Dispatcher.RequestOptions, 'origin'> {
    if (this.peerKey === undefined) return options;
    const { body } = options;
    // Signed at the moment of sending, so each attempt (a retry too) carries a fresh nonce.
    if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
      return options;
    }
    const signature = signPeerRequest(this.peerKey, options.method, options.path, body ?? '');
    return { ...options, headers: withHeaders(options.headers, signature) };
  }

  private logFailure(method: string, route: string, peer: string, error: unknown, startedMs: number): void {
    if (this.logger === undefined || !this.logger.isLevelEnabled('debug')) return;
    const durationMs = Math.round((performance.now() - startedMs) * 1000) / 1000;
    const code = error instanceof GfsError ? error.code : 'INTERNAL';
    const message = error instanceof Error ? error.message : String(error);
    this.logger.debug({ route, method, peer, code, durationMs }, `rpc failed: ${message}`);
  }

  /**
   * Lets requests in flight finish for up to `graceMs`, then aborts them: a peer that never answers
   * (a blackholed master) must not hold a stopping server for a whole RPC timeout. (undici's
   * destroy() after close() leaves requests in flight waiting, so they are aborted by signal.)
   */
  async close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    const closed = this.dispatcher.close();
    const timer = setTimeout(() => this.aborter.abort(new GfsError('UNAVAILABLE', 'client closed')), graceMs);
    try {
      await closed;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** `headers` (in any form undici takes) plus `extra`. */
function withHeaders(
  headers: Dispatcher.RequestOptions['headers'],
  extra: Record<string, string>,
): Dispatcher.RequestOptions['headers'] {
  if (headers === undefined || headers === null) return extra;
  if (Array.isArray(headers)) return [...headers, ...Object.entries(extra).flat()];
  if (Symbol.iterator in headers) return { ...Object.fromEntries(headers as Iterable<[string, string]>), ...extra };
  return { ...headers, ...extra };
}

/** Reads an error reply of a raw request into a GfsError. */
export async function errorFromResponse(response: Dispatcher.ResponseData, address: string): Promise<GfsError> {
  const text = await response.body.text().catch(() => '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { message: text.slice(0, 200) || `HTTP ${response.statusCode}` };
  }
  return errorFromBody(response.statusCode, parsed, address);
}

const unreachable = new WeakSet<GfsError>();

/**
 * True when the error says a server could not be reached at all (no answer), as opposed to a
 * server that answered UNAVAILABLE about something else (a lease holder, a replica).
 */
export function isUnreachable(error: unknown): boolean {
  return error instanceof GfsError && unreachable.has(error);
}

const neverSent = new WeakSet<GfsError>();

/** Failures to open a connection: the request cannot have reached the server. */
const CONNECT_FAILURE_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * True when no connection could be opened, so the server never saw the request: safe to send
 * again even when doing it twice would not be (a rename, an exclusive create). A connection that
 * broke after sending leaves it unknown whether the server acted.
 */
export function wasNeverSent(error: unknown): boolean {
  return error instanceof GfsError && neverSent.has(error);
}

/** A transport failure as an UNAVAILABLE error naming the peer, marked unreachable. */
export function unavailable(address: string, error: unknown): GfsError {
  if (error instanceof GfsError) {
    if (error.code === 'UNAVAILABLE') unreachable.add(error);
    return error;
  }
  const code = (error as { code?: string }).code;
  const reason = code ?? (error as Error).message ?? 'unreachable';
  const tls = tlsFailureText(code, String((error as Error).message));
  const gfsError = new GfsError('UNAVAILABLE', tls ?? `cannot reach server (${reason})`, address);
  unreachable.add(gfsError);
  // A failed handshake, like a refused connection, means no request was sent.
  if (code !== undefined && (CONNECT_FAILURE_CODES.has(code) || tls !== undefined)) neverSent.add(gfsError);
  return gfsError;
}
