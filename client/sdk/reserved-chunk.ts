// A new file's first write into the chunk its create reserved (createRoute's `reserved`): the bytes
// go straight to that chunk's replicas (it is already granted, its primary holds the lease), and
// one extend makes it the file's chunk 0 and records the length, in one durable step at the
// master. A small file then costs its create, one write and one extend: no lease request and no
// chunk allocation on the way. When any of it fails, the caller writes the usual way: nothing it
// did is visible (an unattached chunk belongs to no file, and the master deletes it).

import { GfsError } from '../../shared/errors.js';
import { LEASE_SAFETY_MARGIN_MS, PIECE_BYTES_DEFAULT } from '../../shared/limits.js';
import { type WrittenPiece, writeToChunk } from './chunk-write.js';
import type { SdkDeps } from './deps.js';
import type { LeaseReply } from './master-api.js';

/**
 * Time a reservation must still have when its write starts: its primary stops taking writes
 * LEASE_SAFETY_MARGIN_MS before the master's lease ends, and the answer took a moment to arrive.
 */
const RESERVED_LEASE_LEFT_MS_MIN = LEASE_SAFETY_MARGIN_MS + 250;

export interface ReservedChunk {
  grant: LeaseReply;
  /** When the create's answer arrived: the lease time left counts from about then. */
  receivedAtMs: number;
}

/**
 * Whether a new file of `bytes` bytes (undefined: not known yet) is worth a reserved chunk: only
 * one that fits in one piece can use it, and an empty file needs no chunk.
 */
export function worthReserving(bytes: number | undefined): boolean {
  return bytes === undefined || (bytes > 0 && bytes <= PIECE_BYTES_DEFAULT);
}

/** A create's `reserved` answer, stamped with when it arrived; undefined when it reserved none. */
export function reservationOf(grant: LeaseReply | undefined): ReservedChunk | undefined {
  return grant === undefined ? undefined : { grant, receivedAtMs: Date.now() };
}

/** Whether `bytes` bytes at offset 0 can still go into the reserved chunk at `nowMs` (one piece, in time). */
export function fitsReserved(reserved: ReservedChunk, bytes: number, nowMs: number): boolean {
  const { chunkSize, leaseMs } = reserved.grant;
  return (
    bytes > 0 &&
    bytes <= Math.min(chunkSize, PIECE_BYTES_DEFAULT) &&
    nowMs - reserved.receivedAtMs < leaseMs - RESERVED_LEASE_LEFT_MS_MIN
  );
}

/**
 * Writes `data` at offset 0 of the reserved chunk on every replica, then attaches the chunk as the
 * file's chunk 0 with the length `data.byteLength`. Resolves with where the bytes went, or with
 * undefined when the caller must write them the usual way (one attempt: a refusal is not retried).
 */
export async function writeIntoReserved(
  deps: SdkDeps,
  path: string,
  reserved: ReservedChunk,
  data: Uint8Array,
): Promise<WrittenPiece | undefined> {
  const { grant } = reserved;
  try {
    await writeToChunk(deps, grant, 0, data);
    await deps.master.extend(path, data.byteLength, grant.handle);
  } catch (error) {
    if (error instanceof GfsError) return undefined;
    throw error;
  }
  return { handle: grant.handle, replicas: [grant.primary, ...grant.secondaries], token: grant.token, chunkIndex: 0 };
}
