// Sends a fuzzed request as raw bytes on its own TCP connection: no HTTP client in between to
// refuse or repair what the fuzzer generated (NUL or spaces in the target, odd methods, any
// header). The answer is read until the server closes the connection (`Connection: close`).

import { connect } from 'node:net';
import { signPeerRequest } from '../../../shared/security/peer-signature.js';
import { TEST_KEYS } from '../test-identity.js';

export interface FuzzRequest {
  method: string;
  /** The request target exactly as sent: path and query, not escaped further. */
  target: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface FuzzResponse {
  /** 0 when the connection closed without a status line. */
  status: number;
  /** The `code` of a `{code, message}` error body, when there is one. */
  code: string | undefined;
  /** The start of the answer, to explain a failure. */
  head: string;
  /** The answer as far as it was kept (KEPT_BYTES_MAX), as latin1 text. */
  text: string;
}

/**
 * Every other request carries the credentials of a member of the test cluster (issue 7): the
 * tests' superuser client token (GFS_TOKEN, which vitest.config.ts sets) and a peer signature
 * made with the tests' cluster secret over exactly what is sent. Anonymous requests show that
 * refusals are clean; authenticated ones get past the checks to the handlers' own validation.
 * Chunk access tokens are not minted: the data path refuses the authenticated ones too, which
 * the anonymous half already covers, and the route's own checks are reached through the SDK.
 */
export function authenticate(request: FuzzRequest, sequence = 0): FuzzRequest {
  if (sequence % 2 === 0) return request;
  const token = process.env.GFS_TOKEN ?? '';
  const signature = signPeerRequest(TEST_KEYS.peerRequest, request.method, request.target, request.body ?? '');
  return {
    ...request,
    headers: { ...request.headers, ...(token === '' ? {} : { authorization: `Bearer ${token}` }), ...signature },
  };
}

/** Bytes of an answer kept: enough for a status line, headers and an error body. */
const KEPT_BYTES_MAX = 64 * 1024;

export function sendRaw(port: number, request: FuzzRequest, timeoutMs: number): Promise<FuzzResponse> {
  const body = request.body ?? Buffer.alloc(0);
  const lines = [`${request.method} ${request.target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close'];
  for (const [name, value] of Object.entries(request.headers)) lines.push(`${name}: ${value}`);
  if (request.body !== undefined) lines.push(`Content-Length: ${body.length}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const kept: Buffer[] = [];
    let keptBytes = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms to ${request.method} ${request.target.slice(0, 200)}`));
    }, timeoutMs);
    socket.on('connect', () => {
      // No half-close after the body: node's server would take it as the client giving up.
      // The server may answer (and close) before it has read a body it refuses: not a failure.
      socket.write(Buffer.concat([head, body]));
    });
    socket.on('data', (piece: Buffer) => {
      if (keptBytes < KEPT_BYTES_MAX) {
        kept.push(piece);
        keptBytes += piece.length;
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseAnswer(Buffer.concat(kept).toString('latin1')));
    });
  });
}

function parseAnswer(text: string): FuzzResponse {
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  const code = /"code"\s*:\s*"([A-Z_]+)"/.exec(text);
  return { status: status === null ? 0 : Number(status[1]), code: code?.[1], head: text.slice(0, 600), text };
}
