// requirePeerSignatures on a real fastify server: the body digest is of the bytes that arrived
// (not of the JSON re-serialised), client routes are untouched, a peer-route body that is not JSON
// cannot slip past the digest check, and the replaced JSON parser still refuses what fastify's own
// refuses.

import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PeerVerifier, requirePeerSignatures } from '../../../shared/http/peer-auth.js';
import { defineRoute } from '../../../shared/http/route.js';
import { createRpcServer, listen, serveRoute } from '../../../shared/http/server.js';
import { silentLogger } from '../../../shared/log.js';
import { signPeerRequest } from '../../../shared/security/peer-signature.js';

const peerRoute = defineRoute('POST', '/peer', Type.Object({ n: Type.Integer() }), Type.Object({ n: Type.Integer() }));
const clientRoute = defineRoute(
  'POST',
  '/client',
  Type.Object({ n: Type.Integer() }),
  Type.Object({ n: Type.Integer() }),
);
const key = randomBytes(32);

let app: FastifyInstance;
let address: string;
let handled = 0;

beforeAll(async () => {
  app = createRpcServer(silentLogger());
  requirePeerSignatures(app, new PeerVerifier(key, silentLogger()), [peerRoute]);
  serveRoute(app, peerRoute, async (body) => {
    handled++;
    return body;
  });
  serveRoute(app, clientRoute, async (body) => body);
  address = await listen(app, '127.0.0.1', 0);
});

afterAll(async () => {
  await app.close();
});

async function post(path: string, body: string, headers: Record<string, string>, type = 'application/json') {
  const response = await fetch(`http://${address}${path}`, {
    method: 'POST',
    headers: { 'content-type': type, ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as { code?: string; message?: string; n?: number } };
}

describe('requirePeerSignatures', () => {
  it('checks the digest of the bytes sent, however the JSON is laid out', async () => {
    const text = '{ "n" :\n 7 }';
    const reply = await post('/peer', text, signPeerRequest(key, 'POST', '/peer', text));
    expect(reply).toEqual({ status: 200, body: { n: 7 } });
    // The same value, laid out as JSON.stringify would: not the bytes that were signed.
    const relaid = await post('/peer', '{"n":7}', signPeerRequest(key, 'POST', '/peer', text));
    expect(relaid.status).toBe(401);
    expect(relaid.body.message).toBe('peer request refused: body does not match its signature');
  });

  it('leaves client routes alone', async () => {
    expect(await post('/client', '{"n":1}', {})).toEqual({ status: 200, body: { n: 1 } });
  });

  it('refuses a signed peer-route body some other parser took, before the handler runs', async () => {
    const before = handled;
    const text = '{"n":3}';
    const reply = await post('/peer', text, signPeerRequest(key, 'POST', '/peer', text), 'text/plain');
    expect(reply.status).toBe(401);
    expect(reply.body.message).toBe('peer request refused: body does not match its signature');
    expect(handled).toBe(before);
  });

  it('still refuses prototype poisoning, as fastify’s own parser does', async () => {
    const text = '{"n":1,"__proto__":{"x":1}}';
    const reply = await post('/peer', text, signPeerRequest(key, 'POST', '/peer', text));
    expect(reply.status).toBe(400);
  });
});
