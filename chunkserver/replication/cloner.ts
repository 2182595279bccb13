// The target's half of re-replication (GFS §4.3): on the master's order, copy a chunk from a
// source chunkserver through its ordinary read path, piece by piece. Each piece's CRC32C (computed
// by the source over the bytes it verified against its own checksums) is checked against the bytes
// that arrived before they are written through the store's checksummed write; the copy becomes a
// chunk only when complete (ChunkStore.importChunk). Throttled: a server runs a bounded number.

import { crc32cOf } from '../../shared/checksum.js';
import { GfsError } from '../../shared/errors.js';
import { errorFromResponse, type RpcClient, unavailable } from '../../shared/http/client.js';
import type { BodyOf } from '../../shared/http/route.js';
import { CLONE_PIECE_BYTES, CLONES_PER_CHUNKSERVER_MAX } from '../../shared/limits.js';
import type { Logger } from '../../shared/log.js';
import {
  BODY_CRC_HEADER,
  type cloneRoute,
  REPLICA_BYTES_HEADER,
  readPath,
  WANT_BODY_CRC_HEADER,
} from '../../shared/protocol/data.js';
import { CHUNK_TOKEN_HEADER } from '../../shared/security/chunk-token.js';
import type { ChunkStore } from '../store/chunk-store.js';
import { checkHandle } from '../store/handle.js';

export type CloneRequest = BodyOf<typeof cloneRoute>;

export interface ClonerDeps {
  store: ChunkStore;
  rpc: RpcClient;
  logger: Logger;
  onBytesWritten: (bytes: number) => void;
  /** Clones at once on this server (the master throttles too; this holds whatever it sends). */
  clonesMax?: number;
  pieceBytes?: number;
}

interface Piece {
  bytes: Buffer;
  /** The source replica's length when it served the piece. */
  replicaBytes: number;
}

export class Cloner {
  private readonly running = new Set<string>();

  constructor(private readonly deps: ClonerDeps) {}

  async clone(request: CloneRequest): Promise<{ sizeBytes: number }> {
    const { handle, version, source, sourceToken } = request;
    checkHandle(handle);
    const { store } = this.deps;
    if (this.running.size >= (this.deps.clonesMax ?? CLONES_PER_CHUNKSERVER_MAX)) {
      throw new GfsError('BUSY', 'this chunkserver runs as many clones as it may', handle);
    }
    if (store.versionOf(handle) !== undefined || this.running.has(handle)) {
      throw new GfsError('ALREADY_EXISTS', 'this chunkserver already has a replica of the chunk', handle);
    }
    this.running.add(handle);
    try {
      // A zero-length read: the source's length, and its version checked, before anything moves.
      const fetch = (offset: number, length: number) =>
        this.fetch(source, sourceToken, handle, version, offset, length);
      const sizeBytes = (await fetch(0, 0)).replicaBytes;
      const pieceBytes = this.deps.pieceBytes ?? CLONE_PIECE_BYTES;
      await store.importChunk(handle, version, async (write) => {
        for (let offset = 0; offset < sizeBytes; offset += pieceBytes) {
          const piece = await fetch(offset, Math.min(pieceBytes, sizeBytes - offset));
          checkUnchanged(piece, sizeBytes, handle, source);
          await write(offset, piece.bytes);
          this.deps.onBytesWritten(piece.bytes.length);
        }
        // Pair check: the master holds the chunk's leases back meanwhile, so the source cannot have
        // changed; if it did anyway, this copy is refused rather than trusted.
        checkUnchanged(await fetch(0, 0), sizeBytes, handle, source);
      });
      this.deps.logger.info({ handle, version, source, bytes: sizeBytes }, 'chunk cloned');
      return { sizeBytes };
    } finally {
      this.running.delete(handle);
    }
  }

  /** One verified piece from the source's read path, with the clone order's read token for it. */
  private async fetch(
    source: string,
    sourceToken: string | undefined,
    handle: string,
    version: number,
    offsetBytes: number,
    lengthBytes: number,
  ): Promise<Piece> {
    const response = await this.deps.rpc.request(source, {
      method: 'GET',
      path: readPath(handle, version, offsetBytes, lengthBytes),
      headers: {
        [WANT_BODY_CRC_HEADER]: '1',
        ...(sourceToken === undefined ? {} : { [CHUNK_TOKEN_HEADER]: sourceToken }),
      },
    });
    if (response.statusCode >= 400) throw await errorFromResponse(response, source);
    let bytes: Buffer;
    try {
      bytes = Buffer.from(await response.body.arrayBuffer());
    } catch (error) {
      throw unavailable(source, error);
    }
    const replicaBytes = Number(response.headers[REPLICA_BYTES_HEADER]);
    const crc = Number(response.headers[BODY_CRC_HEADER]);
    if (!Number.isSafeInteger(replicaBytes) || replicaBytes < 0 || !Number.isSafeInteger(crc)) {
      throw new GfsError('REPLICA_FAILED', 'clone source sent no length or checksum', source);
    }
    if (bytes.length !== lengthBytes) {
      throw new GfsError(
        'REPLICA_FAILED',
        `short read from the clone source (${bytes.length} of ${lengthBytes})`,
        source,
      );
    }
    if (crc32cOf(bytes) !== crc) {
      throw new GfsError('CHECKSUM_MISMATCH', `piece at ${offsetBytes} arrived damaged from ${source}`, handle);
    }
    return { bytes, replicaBytes };
  }
}

function checkUnchanged(piece: Piece, sizeBytes: number, handle: string, source: string): void {
  if (piece.replicaBytes !== sizeBytes) {
    throw new GfsError(
      'STALE_VERSION',
      `the source's replica changed during the clone (${sizeBytes} → ${piece.replicaBytes} bytes) at ${source}`,
      handle,
    );
  }
}
