// A TLS server's answer to a plain-HTTP client. OpenSSL alone would drop the connection, and the
// client would learn only "other side closed" (is the server down?). Like Go's and nginx's HTTPS
// servers, this one looks at the first byte of each connection: a TLS handshake goes on to TLS as
// before, anything else gets one plain `400` with the JSON error every route uses, which the CLI
// prints as `gfs: this server speaks HTTPS only (use an https:// URL): http://…`.

import type { Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';

/** The first byte of a TLS record carrying a handshake (RFC 8446 §5.1, content type 22). */
const TLS_HANDSHAKE = 0x16;

/** A client that connects and sends nothing is dropped after this, as TLS's own handshake timeout would. */
const FIRST_BYTE_TIMEOUT_MS = 120_000;

const PLAIN_REPLY_BODY = JSON.stringify({
  code: 'INVALID_ARGUMENT',
  message: 'this server speaks HTTPS only (use an https:// URL)',
});

const PLAIN_REPLY = [
  'HTTP/1.1 400 Bad Request',
  'Content-Type: application/json',
  'Connection: close',
  `Content-Length: ${Buffer.byteLength(PLAIN_REPLY_BODY)}`,
  '',
  PLAIN_REPLY_BODY,
].join('\r\n');

/** Puts the first-byte check ahead of the server's own connection handling. */
export function answerPlainHttp(server: TlsServer): void {
  const handlers = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => socket.destroy(), FIRST_BYTE_TIMEOUT_MS);
    const ignore = () => undefined;
    // A reset before the first byte must not be an uncaught error; TLS sets its own handling later.
    socket.on('error', ignore);
    socket.once('close', () => clearTimeout(timer));
    socket.once('readable', () => {
      clearTimeout(timer);
      const first: Buffer | null = socket.read();
      if (first === null) return;
      if (first[0] !== TLS_HANDSHAKE) {
        socket.end(PLAIN_REPLY);
        return;
      }
      // Given back: the TLS socket reads what its raw socket has buffered before anything new.
      socket.unshift(first);
      socket.off('error', ignore);
      for (const handle of handlers) handle.call(server, socket);
    });
  });
}
