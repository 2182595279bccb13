// The chunks a file handle wrote, for `sync()`: each with the replicas that took its writes and
// the latest write token its lease came with.

import type { WrittenPiece } from './chunk-write.js';

export interface WrittenChunk {
  replicas: Set<string>;
  token: string | undefined;
  chunkIndex: number;
}

/** Chunk handle → what was written to it. */
export type WrittenChunks = Map<string, WrittenChunk>;

export function rememberWritten(chunks: WrittenChunks, written: WrittenPiece): void {
  const known = chunks.get(written.handle);
  if (known === undefined) {
    chunks.set(written.handle, {
      replicas: new Set(written.replicas),
      token: written.token,
      chunkIndex: written.chunkIndex,
    });
    return;
  }
  for (const replica of written.replicas) known.replicas.add(replica);
  // Pieces finish in any order and any of their tokens will do: keep the one seen last.
  known.token = written.token ?? known.token;
}

export function mergeWritten(into: WrittenChunks, from: WrittenChunks): void {
  for (const [handle, chunk] of from) {
    rememberWritten(into, { handle, replicas: [...chunk.replicas], token: chunk.token, chunkIndex: chunk.chunkIndex });
  }
}
