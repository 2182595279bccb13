// Every bound of the system in one place, each with the reason it has the value it has.
// Relationships between them are asserted at load, so a bad edit fails at start-up.

import { assert } from './assert.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** GFS's chunk size: large enough that metadata stays small and clients rarely talk to the master. */
export const CHUNK_SIZE_BYTES_DEFAULT = 64 * MiB;
/** Unit of checksumming: a read verifies whole blocks, so this bounds read amplification. */
export const CHECKSUM_BLOCK_BYTES = 64 * KiB;
/** Smallest chunk a master accepts (tests use 1 MiB); one checksum block is the floor. */
export const CHUNK_SIZE_BYTES_MIN = CHECKSUM_BLOCK_BYTES;
/** Largest chunk: chunk offsets and lengths stay exact in a double and in a u32 block index. */
export const CHUNK_SIZE_BYTES_MAX = 1024 * MiB;
/** Replicas per chunk unless a file says otherwise. */
export const REPLICATION_DEFAULT = 3;
export const REPLICATION_MAX = 16;

/** Primary lease; renewed through heartbeats while mutations go on (GFS §3.1). */
export const LEASE_MS_DEFAULT = 60_000;
/** A primary stops accepting mutations this long before the master thinks its lease ends (clock skew). */
export const LEASE_SAFETY_MARGIN_MS = 2_000;
export const HEARTBEAT_MS_DEFAULT = 1_000;
export const DEAD_AFTER_MS_DEFAULT = 10_000;
export const TRASH_RETENTION_MS_DEFAULT = 3 * 24 * 3600 * 1000;

/** A fresh master answers location requests only after chunk reports arrive, or after this long. */
export const STARTUP_REPORT_WAIT_MS_MAX = 10_000;

/** Paths: bounded so a hostile client cannot make the master hold huge keys. */
export const PATH_BYTES_MAX = 4096;
export const NAME_BYTES_MAX = 255;

/** Bytes one chunkserver holds in its push buffer before it answers BUSY (backpressure). */
export const PUSH_BUFFER_BYTES_MAX = 512 * MiB;
/** Pushed data not consumed by a write within this long is dropped (the client died). */
export const PUSH_BUFFER_TTL_MS = 60_000;
/** Largest single push / write request: the client splits bigger writes. */
export const PIECE_BYTES_MAX = 16 * MiB;
/** Piece size the SDK uses for large writes; several are in flight at once. */
export const PIECE_BYTES_DEFAULT = 4 * MiB;
/** Pieces of one stream in flight at once (DESIGN §6: several in flight hide per-request cost). */
export const PIECES_IN_FLIGHT = 6;
/** Chunks a reader prefetches ahead and a writer keeps open at once. */
export const READ_AHEAD_CHUNKS = 2;
/** How many chunk locations the SDK asks for at once (GFS prefetches following chunks). */
export const LOCATE_PREFETCH_CHUNKS = 16;
/** A secondary waits this long for an earlier serial before giving up on the gap. */
export const SERIAL_GAP_WAIT_MS = 10_000;

/** Retries of one chunk mutation or read before the SDK reports failure. */
export const CLIENT_RETRIES_MAX = 12;
export const CLIENT_RETRY_BACKOFF_MS = 250;
/** Upper bound on any single RPC. */
export const RPC_TIMEOUT_MS = 30_000;
/** Entries in the client's location cache before the oldest are evicted. */
export const LOCATION_CACHE_ENTRIES_MAX = 100_000;
/** Cached locations are refreshed after this long (replicas may have moved). */
export const LOCATION_CACHE_TTL_MS = 30_000;

/** Log records after which the master writes a checkpoint and trims the log. */
export const CHECKPOINT_EVERY_RECORDS = 200_000;
/** Largest JSON control request; data travels as octet-stream pieces bounded by PIECE_BYTES_MAX. */
export const CONTROL_BODY_BYTES_MAX = 8 * MiB;
/** Entries in one readdir answer; bounds memory on both ends. */
export const LIST_ENTRIES_MAX = 1_000_000;

assert(CHUNK_SIZE_BYTES_DEFAULT % CHECKSUM_BLOCK_BYTES === 0, 'chunk size is a multiple of the checksum block');
assert(PIECE_BYTES_DEFAULT <= PIECE_BYTES_MAX, 'default piece fits the piece bound');
assert(PIECE_BYTES_MAX * PIECES_IN_FLIGHT <= PUSH_BUFFER_BYTES_MAX, 'one client cannot fill a push buffer alone');
assert(LEASE_SAFETY_MARGIN_MS * 4 < LEASE_MS_DEFAULT, 'the safety margin is a small part of a lease');

/** Largest record for record append: a quarter of the chunk, so padding wastes at most 25%. */
export function recordBytesMax(chunkSizeBytes: number): number {
  return Math.floor(chunkSizeBytes / 4);
}

export function isValidChunkSize(bytes: number): boolean {
  return (
    Number.isSafeInteger(bytes) &&
    bytes >= CHUNK_SIZE_BYTES_MIN &&
    bytes <= CHUNK_SIZE_BYTES_MAX &&
    bytes % CHECKSUM_BLOCK_BYTES === 0
  );
}
