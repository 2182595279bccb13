// The SDK's master calls across a master restart, against a real HTTP server on loopback that
// goes away and comes back on the same port: a master that answered before is waited for; one
// never reached fails at once; a call that may have been done is not sent twice unless harmless
// (a read), or unless its path being gone on the second attempt is the answer (a rename).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MasterApi } from '../../../client/sdk/master-api.js';
import { GfsError } from '../../../shared/errors.js';
import { RpcClient } from '../../../shared/http/client.js';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

const servers: Server[] = [];
const clients: RpcClient[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  for (const rpc of clients.splice(0)) await rpc.close(0);
});

function listen(handler: Handler, port = 0): Promise<Server> {
  const server = createServer(handler);
  servers.push(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function stop(server: Server): Promise<void> {
  servers.splice(servers.indexOf(server), 1);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** Answers every stat with a file entry, counting requests per URL. */
function masterLike(seen: Map<string, number>): Handler {
  return (request, response) => {
    request.resume();
    request.on('end', () => {
      seen.set(request.url ?? '', (seen.get(request.url ?? '') ?? 0) + 1);
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ name: 'f', type: 'file', size: 3, mtimeMs: 0, mode: 0o644 }));
    });
  };
}

function api(port: number, outagePatienceMs: number): MasterApi {
  const rpc = new RpcClient();
  clients.push(rpc);
  return new MasterApi(rpc, `127.0.0.1:${port}`, { outagePatienceMs });
}

describe('master calls across an outage', () => {
  it('wait for a master that answered before, through a restart on the same port', async () => {
    const seen = new Map<string, number>();
    const first = await listen(masterLike(seen));
    const { port } = first.address() as AddressInfo;
    const master = api(port, 30_000);
    expect((await master.stat('/f')).size).toBe(3);
    await stop(first);
    const renamed = master.rename('/f', '/g');
    const stat = master.stat('/f');
    await new Promise((resolve) => setTimeout(resolve, 700));
    await listen(masterLike(seen), port);
    // Refused connections never reached the master, so even a rename is sent once it is back.
    await expect(renamed).resolves.toBeDefined();
    expect((await stat).size).toBe(3);
    expect(seen.get('/ns/rename')).toBe(1);
  });

  it('fail at once for a master never reached, and after the patience for one gone', async () => {
    const probe = await listen(() => undefined);
    const { port } = probe.address() as AddressInfo;
    await stop(probe);
    const startedMs = Date.now();
    const error = await api(port, 30_000)
      .stat('/f')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GfsError);
    expect((error as GfsError).code).toBe('UNAVAILABLE');
    expect(Date.now() - startedMs).toBeLessThan(5_000);

    const seen = new Map<string, number>();
    const gone = await listen(masterLike(seen), port);
    const master = api(port, 600);
    await master.stat('/f');
    await stop(gone);
    const waitedFrom = Date.now();
    await expect(master.stat('/f')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(Date.now() - waitedFrom).toBeGreaterThanOrEqual(600);
  });

  it('a connection broken after the request went out: a read and a rename are sent again, a snapshot is not', async () => {
    const seen = new Map<string, number>();
    let breakNext = 0;
    const answer = masterLike(seen);
    const server = await listen((request, response) => {
      if (breakNext > 0) {
        breakNext--;
        seen.set(`broken ${request.url}`, (seen.get(`broken ${request.url}`) ?? 0) + 1);
        request.socket.destroy();
        return;
      }
      answer(request, response);
    });
    const { port } = server.address() as AddressInfo;
    const master = api(port, 30_000);
    await master.stat('/warm');

    breakNext = 1;
    await expect(master.snapshot('/f', '/g')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(seen.get('broken /ns/snapshot')).toBe(1);
    expect(seen.get('/ns/snapshot')).toBeUndefined();

    breakNext = 1;
    await expect(master.rename('/f', '/g')).resolves.toBeDefined();
    expect(seen.get('broken /ns/rename')).toBe(1);
    expect(seen.get('/ns/rename')).toBe(1);

    breakNext = 1;
    expect((await master.stat('/f')).size).toBe(3);
    expect(seen.get('broken /ns/stat')).toBe(1);
  });
});
