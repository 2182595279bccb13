// Where a file's chunks are: answers from the location cache, else asks the master for
// LOCATE_PREFETCH_CHUNKS chunks at once and caches them all. Concurrent misses for the same
// chunks share one request. Also remembers the cluster's chunk size, which every reply carries.

import { LOCATE_PREFETCH_CHUNKS } from '../../shared/limits.js';
import type { CachedChunk, LocationCache } from './location-cache.js';
import type { MasterApi } from './master-api.js';

export interface FileExtent {
  sizeBytes: number;
  chunkSizeBytes: number;
}

export class Locator {
  chunkSizeBytes: number | undefined;
  private readonly pending = new Map<string, Promise<FileExtent>>();

  constructor(
    private readonly master: MasterApi,
    readonly cache: LocationCache,
  ) {}

  /**
   * Asks the master (never the cache) for the file's size and the locations of the aligned window
   * of LOCATE_PREFETCH_CHUNKS chunks that holds `index`.
   */
  refresh(path: string, index: number): Promise<FileExtent> {
    const window = windowOf(index);
    const key = `${path}\0${window}`;
    const inFlight = this.pending.get(key);
    if (inFlight !== undefined) return inFlight;
    const request = this.fetch(path, window).finally(() => this.pending.delete(key));
    this.pending.set(key, request);
    return request;
  }

  /** The chunk's location, or a hole (handle undefined), or undefined past the file's known chunks. */
  async chunk(path: string, index: number): Promise<CachedChunk | undefined> {
    const cached = this.cache.get(path, index);
    if (cached !== undefined) return cached;
    await this.refresh(path, index);
    return this.cache.get(path, index);
  }

  /** Fresh size of the file, with the locations around `offsetBytes` prefetched. */
  async extentAt(path: string, offsetBytes: number): Promise<FileExtent> {
    const guess = this.chunkSizeBytes === undefined ? 0 : Math.floor(offsetBytes / this.chunkSizeBytes);
    const first = await this.refresh(path, guess);
    const index = Math.floor(offsetBytes / first.chunkSizeBytes);
    return windowOf(index) === windowOf(guess) || first.sizeBytes <= offsetBytes ? first : this.refresh(path, index);
  }

  async chunkSize(path: string): Promise<number> {
    if (this.chunkSizeBytes !== undefined) return this.chunkSizeBytes;
    return (await this.refresh(path, 0)).chunkSizeBytes;
  }

  private async fetch(path: string, index: number): Promise<FileExtent> {
    const reply = await this.master.locate(path, index, LOCATE_PREFETCH_CHUNKS);
    this.chunkSizeBytes = reply.chunkSize;
    const chunksInFile = Math.ceil(reply.size / reply.chunkSize);
    const seen = new Set<number>();
    for (const chunk of reply.chunks) {
      seen.add(chunk.index);
      this.cache.set(path, chunk.index, {
        handle: chunk.handle,
        version: chunk.version,
        replicas: chunk.replicas,
        token: chunk.token,
      });
    }
    // Chunks inside the file that the master did not list were never written: holes, read as zeros.
    const last = Math.min(index + LOCATE_PREFETCH_CHUNKS, chunksInFile);
    for (let i = index; i < last; i++) {
      if (!seen.has(i)) this.cache.set(path, i, { handle: undefined, version: 0, replicas: [] });
    }
    return { sizeBytes: reply.size, chunkSizeBytes: reply.chunkSize };
  }
}

function windowOf(index: number): number {
  return Math.floor(index / LOCATE_PREFETCH_CHUNKS) * LOCATE_PREFETCH_CHUNKS;
}
