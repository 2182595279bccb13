// A tiny fake master for chunkserver tests: answers register / heartbeat / corrupt from the shared
// route definitions and records every call, so a test can check what a chunkserver told it.

import type { FastifyInstance } from 'fastify';
import { GfsError } from '../../../shared/errors.js';
import { PeerVerifier, requirePeerSignatures } from '../../../shared/http/peer-auth.js';
import type { BodyOf, ReplyOf } from '../../../shared/http/route.js';
import { createRpcServer, listen, serveRoute } from '../../../shared/http/server.js';
import { silentLogger } from '../../../shared/log.js';
import { corruptRoute, heartbeatRoute, registerRoute } from '../../../shared/protocol/heartbeat.js';
import { MASTER_PEER_ROUTES } from '../../../shared/protocol/peer-routes.js';

export class FakeMaster {
  readonly registers: BodyOf<typeof registerRoute>[] = [];
  readonly heartbeats: BodyOf<typeof heartbeatRoute>[] = [];
  readonly corrupt: BodyOf<typeof corruptRoute>[] = [];
  /** Ids the master knows; a heartbeat from another is UNKNOWN_CHUNKSERVER (a restarted master). */
  readonly known = new Set<string>();
  /** Handed out once, to the next heartbeat or registration of that chunkserver id. */
  readonly pendingDeletes = new Map<string, string[]>();
  nextHeartbeatReply: Partial<ReplyOf<typeof heartbeatRoute>> = {};
  url = '';
  private readonly app: FastifyInstance;

  /** With `peerKey` it refuses unsigned chunkserver requests, as a real master with a secret does. */
  constructor(
    readonly chunkSizeBytes: number,
    peerKey?: Buffer,
  ) {
    this.app = createRpcServer(silentLogger());
    if (peerKey !== undefined) {
      requirePeerSignatures(this.app, new PeerVerifier(peerKey, silentLogger()), MASTER_PEER_ROUTES);
    }
    serveRoute(this.app, registerRoute, async (body) => {
      this.registers.push(body);
      this.known.add(body.id);
      return { chunkSize: this.chunkSizeBytes, deleteHandles: this.takeDeletes(body.id) };
    });
    serveRoute(this.app, heartbeatRoute, async (body) => {
      if (!this.known.has(body.id)) throw new GfsError('UNKNOWN_CHUNKSERVER', 'who are you', body.id);
      this.heartbeats.push(body);
      const reply = { leases: [], ...this.nextHeartbeatReply, deleteHandles: this.takeDeletes(body.id) };
      this.nextHeartbeatReply = {};
      return reply;
    });
    serveRoute(this.app, corruptRoute, async (body) => {
      this.corrupt.push(body);
      return {};
    });
  }

  /** Listens on loopback; port 0 picks a free one. */
  async start(port = 0): Promise<void> {
    this.url = `http://${await listen(this.app, '127.0.0.1', port)}`;
  }

  async close(): Promise<void> {
    await this.app.close();
  }

  private takeDeletes(id: string): string[] {
    const handles = this.pendingDeletes.get(id) ?? [];
    this.pendingDeletes.delete(id);
    return handles;
  }
}
