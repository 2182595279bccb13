// The connection guard on a real node:http server with its bounds shrunk to fractions of a second:
// a client that stops sending a body, or stops reading a response, is cut; a server that takes
// its time over a complete request is not; connections past the bound are refused and the server
// serves again once they go.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { guardConnections, HTTP_SERVER_OPTIONS } from '../../../shared/http/connection-guard.js';

const IDLE_MS = 400;
const CONNECTIONS_MAX = 5;

let server: Server | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  const running = server;
  server = undefined;
  if (running !== undefined) {
    running.closeAllConnections();
    await new Promise((resolve) => running.close(resolve));
  }
});

async function start(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<number> {
  const created = createServer(HTTP_SERVER_OPTIONS, handler);
  guardConnections(created, { idleTimeoutMs: IDLE_MS, connectionsMax: CONNECTIONS_MAX });
  server = created;
  await new Promise<void>((resolve) => created.listen(0, '127.0.0.1', resolve));
  const address = created.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

interface Outcome {
  received: string;
  closedAfterMs: number;
}

/** Opens a raw connection, writes `head`, and resolves with what came back once the server closes it. */
function rawExchange(port: number, head: string, options: { readAfterMs?: number } = {}): Promise<Outcome> {
  const startedMs = Date.now();
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    sockets.push(socket);
    let received = '';
    // A client that does not read: nothing is taken from the socket until readAfterMs.
    if (options.readAfterMs !== undefined) {
      socket.pause();
      setTimeout(() => socket.resume(), options.readAfterMs);
    }
    socket.on('data', (piece: Buffer) => (received += piece.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ received, closedAfterMs: Date.now() - startedMs }));
    setTimeout(() => reject(new Error('the server kept the connection open')), 10_000).unref();
  });
}

describe('connection guard', () => {
  it('cuts a client that stops sending a body midway', async () => {
    const port = await start((request, response) => {
      request.resume();
      request.on('end', () => response.end('whole body'));
    });
    const outcome = await rawExchange(port, 'PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly part');
    expect(outcome.received).toBe('');
    expect(outcome.closedAfterMs).toBeGreaterThanOrEqual(IDLE_MS - 50);
  });

  it('keeps a connection whose complete request the server takes long over', async () => {
    const port = await start((_request, response) => {
      setTimeout(() => response.end('done'), IDLE_MS * 3);
    });
    const outcome = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(outcome.received).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*done$/);
  });

  it('keeps a connection whose body waits unread in the server (backpressure), then takes it whole', async () => {
    const bodyBytes = 8 * 1024 * 1024;
    const port = await start((request, response) => {
      // Reads nothing for three idle periods: the client has sent what fits, the rest waits on us.
      setTimeout(() => {
        let received = 0;
        request.on('data', (piece: Buffer) => {
          received += piece.length;
        });
        request.on('end', () => response.end(String(received)));
      }, IDLE_MS * 3);
    });
    const outcome = await rawExchange(
      port,
      `PUT / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${bodyBytes}\r\n\r\n${'b'.repeat(bodyBytes)}`,
    );
    expect(outcome.received).toMatch(new RegExp(`^HTTP/1\\.1 200 OK[\\s\\S]*${bodyBytes}$`));
  });

  it('cuts a client that does not read its response', async () => {
    const bodyBytes = 64 * 1024 * 1024;
    const port = await start((_request, response) => {
      response.end(Buffer.alloc(bodyBytes));
    });
    const outcome = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { readAfterMs: IDLE_MS * 4 });
    expect(outcome.received).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(outcome.received.length).toBeLessThan(bodyBytes);
  });

  it('refuses connections past the bound, and serves again once they are gone', async () => {
    const port = await start((_request, response) => response.end('ok'));
    const hogs: Socket[] = [];
    for (let i = 0; i < CONNECTIONS_MAX; i++) {
      const socket = connect(port, '127.0.0.1');
      sockets.push(socket);
      socket.on('error', () => undefined);
      await new Promise((resolve) => socket.once('connect', resolve));
      hogs.push(socket);
    }
    await expect.poll(() => new Promise((resolve) => server?.getConnections((_e, n) => resolve(n)))).toBe(5);
    const refused = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(refused.received).toBe('');
    for (const socket of hogs) socket.destroy();
    await expect.poll(() => new Promise((resolve) => server?.getConnections((_e, n) => resolve(n)))).toBe(0);
    const served = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(served.received).toMatch(/ok$/);
  });
});
