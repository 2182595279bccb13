// The master's half of chunk access tokens (shared/security/chunk-token.ts): every reply that
// hands a client a chunk to read or mutate carries a token for it, minted here for the caller the
// request came from. A master run with --insecure mints none, and its chunkservers check none.

import type { ChunkLocation, LeaseGrant } from '../../shared/protocol/chunks.js';
import { type ChunkTokenMode, mintChunkToken } from '../../shared/security/chunk-token.js';

/**
 * The client a clone order's source token names: a chunkserver copying a replica on the master's
 * order acts for no user. '@' cannot start a user name (issue 7 item 3), so it names no one else.
 */
export const CLONE_TOKEN_CLIENT = '@master';

export class ChunkTokenIssuer {
  constructor(
    private readonly key: Buffer,
    readonly lifetimeMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  mint(handle: string, version: number, mode: ChunkTokenMode, client: string): string {
    return mintChunkToken(this.key, { handle, version, mode, expiresAtMs: this.clock() + this.lifetimeMs, client });
  }

  /** Locations, each with a read token for its chunk at its version. */
  withReadTokens<T extends { chunks: ChunkLocation[] }>(reply: T, client: string): T {
    return {
      ...reply,
      chunks: reply.chunks.map((chunk) => ({ ...chunk, token: this.mint(chunk.handle, chunk.version, 'r', client) })),
    };
  }

  /** A lease answer (or a create's reserved chunk) with a write token for its chunk at its version. */
  withWriteToken<T extends LeaseGrant>(grant: T, client: string): T {
    return { ...grant, token: this.mint(grant.handle, grant.version, 'w', client) };
  }
}
