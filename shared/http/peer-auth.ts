// The receiving side of peer signatures (issue 7 item 1): a server with keys refuses a request to a
// server-to-server route unless it is signed with the cluster secret, fresh and never seen before
// (401 UNAUTHENTICATED naming why). The signature, clock and nonce are checked as the request
// arrives, before its body is read; the body's SHA-256, of the bytes that actually arrived, is
// compared with the signed one before the handler runs. One ReplayGuard per server, shared by its
// fastify routes and its bare data path.

import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { GfsError } from '../errors.js';
import { OncePerKey } from '../once-per-key.js';
import {
  EMPTY_BODY_SHA256,
  ReplayGuard,
  sha256Hex,
  verifyPeerBody,
  verifyPeerRequest,
} from '../security/peer-signature.js';
import { peerOf } from './failure-log.js';
import type { RouteDef } from './route.js';

export class PeerVerifier {
  private readonly guard = new ReplayGuard();
  private readonly logged = new OncePerKey();

  constructor(
    private readonly key: Buffer,
    private readonly logger: Logger,
  ) {}

  /** Signature, clock window and nonce; throws UNAUTHENTICATED. `peer` is the caller's host:port. */
  checkHeaders(method: string, pathAndQuery: string, headers: IncomingHttpHeaders, peer: string): void {
    try {
      verifyPeerRequest(this.key, this.guard, { method, pathAndQuery, headers, bodySha256: undefined });
    } catch (error) {
      this.noteRefusal(error, peer);
      throw error;
    }
  }

  /** The digest of the body that arrived (undefined: it could not be digested) against the signed one. */
  checkBody(headers: IncomingHttpHeaders, bodySha256: string | undefined, subject: string, peer: string): void {
    try {
      verifyPeerBody(headers, bodySha256, subject);
    } catch (error) {
      this.noteRefusal(error, peer);
      throw error;
    }
  }

  /**
   * A refusal is a 4xx the failure log keeps at debug; but a server refusing another (a wrong
   * secret, a skewed clock) is what an operator must see, so the first of each reason from each
   * host is a warning.
   */
  private noteRefusal(error: unknown, peer: string): void {
    if (!(error instanceof GfsError)) return;
    const host = peer.slice(0, peer.lastIndexOf(':'));
    if (this.logged.first(`${host} ${error.message}`)) {
      this.logger.warn(
        { peer, subject: error.subject },
        `${error.message} (first from ${host}; later ones are logged at debug)`,
      );
    }
  }
}

/**
 * Installs the checks for `routes` on `app`. The JSON body parser is replaced by one that keeps
 * the raw bytes' digest for those routes (and parses as fastify's own does, for every route).
 */
export function requirePeerSignatures(app: FastifyInstance, verifier: PeerVerifier, routes: readonly RouteDef[]): void {
  const peerRoutes = new Set(routes.map((route) => `${route.method} ${route.url}`));
  const isPeerRoute = (request: FastifyRequest) => peerRoutes.has(`${request.method} ${request.routeOptions.url}`);
  const bodyDigests = new WeakMap<FastifyRequest, string>();
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  // As a string, as fastify's own parser reads it: the digest is of its UTF-8 bytes, the bytes
  // sent for any body that is valid UTF-8 (one that is not changes, and fails its signature).
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body: string, done) => {
    if (isPeerRoute(request)) bodyDigests.set(request, sha256Hex(body));
    parseJson(request, body, done);
  });
  // Callback hooks, not async ones: they run on every request, and a promise each is measurable
  // on the master's small requests (docs/security.md, what it costs).
  app.addHook('onRequest', (request, _reply, done) => {
    try {
      if (isPeerRoute(request))
        verifier.checkHeaders(request.method, request.url, request.headers, peerOf(request.socket));
      done();
    } catch (error) {
      done(error as Error);
    }
  });
  app.addHook('preValidation', (request, _reply, done) => {
    try {
      if (isPeerRoute(request)) {
        // No body at all is the empty body a GET or body-less POST is signed with; a body some
        // other parser took (not JSON) has no digest and is refused.
        const digest = bodyDigests.get(request) ?? (request.body === undefined ? EMPTY_BODY_SHA256 : undefined);
        verifier.checkBody(
          request.headers,
          digest,
          `${request.method} ${request.routeOptions.url}`,
          peerOf(request.socket),
        );
      }
      done();
    } catch (error) {
      done(error as Error);
    }
  });
}
