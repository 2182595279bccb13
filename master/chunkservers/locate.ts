// Read-side chunk lookups: where a file's chunks live (live, up-to-date replicas only; a stale
// replica is never handed out) and the detailed per-chunk list of `gfs stat --chunks`.

import { GfsError } from '../../shared/errors.js';
import type { BodyOf, ReplyOf } from '../../shared/http/route.js';
import type { ChunkLocation, fileChunksRoute, locateRoute } from '../../shared/protocol/chunks.js';
import type { FileEntry, MasterState } from '../state/types.js';
import type { ChunkserverRegistry } from './registry.js';

export function requireFile(state: MasterState, path: string): FileEntry {
  const entry = state.entries.get(path);
  if (entry === undefined) throw new GfsError('NOT_FOUND', 'no such file', path);
  if (entry.type !== 'file') throw new GfsError('IS_A_DIRECTORY', 'is a directory', path);
  return entry;
}

function location(state: MasterState, registry: ChunkserverRegistry, handle: string, index: number): ChunkLocation {
  const replicas: string[] = [];
  for (const info of registry.liveHolders(handle)) replicas.push(info.address);
  return { index, handle, version: state.chunks.get(handle)?.version ?? 0, replicas };
}

export function locateChunks(
  state: MasterState,
  registry: ChunkserverRegistry,
  request: BodyOf<typeof locateRoute>,
  path: string,
): ReplyOf<typeof locateRoute> {
  const file = requireFile(state, path);
  const chunks: ChunkLocation[] = [];
  const end = Math.min(file.chunks.length, request.index + request.count);
  for (let index = request.index; index < end; index++) {
    chunks.push(location(state, registry, file.chunks[index] as string, index));
  }
  return { chunkSize: state.chunkSizeBytes, size: file.length, chunks };
}

export function fileChunks(
  state: MasterState,
  registry: ChunkserverRegistry,
  path: string,
  primaryOf: (handle: string) => string | null = () => null,
): ReplyOf<typeof fileChunksRoute> {
  const file = requireFile(state, path);
  const chunkSize = state.chunkSizeBytes;
  return {
    chunks: file.chunks.map((handle, index) => ({
      ...location(state, registry, handle, index),
      size: Math.max(0, Math.min(chunkSize, file.length - index * chunkSize)),
      primary: primaryOf(handle),
    })),
  };
}
