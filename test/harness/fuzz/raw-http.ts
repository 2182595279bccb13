// Sends a fuzzed request as raw bytes on its own TCP connection: no HTTP client in between to
// refuse or repair what the fuzzer generated (NUL or spaces in the target, odd methods, any
// header). The answer is read until the server closes the connection (`Connection: close`).

import { connect } from 'node:net';

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
 * Where credentials will be added to a request once the cluster has them (issue 7: HMAC-signed
 * server-to-server requests, chunk access tokens, client tokens): the one place the fuzzer changes
 * to fuzz authenticated requests as well as anonymous ones. Today requests go as generated.
 */
export function authenticate(request: FuzzRequest): FuzzRequest {
  return request;
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
