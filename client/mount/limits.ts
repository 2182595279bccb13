// Bounds and timeouts of `gfs mount`, each with the reason for its value. They live beside the
// mount rather than in shared/limits.ts because no other role uses them.

import { assert } from '../../shared/assert.js';
import { PIECE_BYTES_DEFAULT, PIECES_IN_FLIGHT } from '../../shared/limits.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Largest FUSE read and write request. libfuse2 clamps max_write/max_read to 128 KiB (32 pages);
 * without `big_writes` the kernel sends 4 KiB writes whatever this says (DESIGN §6).
 */
export const FUSE_REQUEST_BYTES_MAX = 128 * KiB;

/**
 * How long the kernel trusts a name it looked up (entry_timeout). Names change only through
 * rename/unlink, which this mount sees itself; another mount's change shows within this.
 */
export const ENTRY_TIMEOUT_S = 1;
/**
 * How long the kernel trusts attributes (attr_timeout). Zero: the kernel's copy of a file's size
 * must never outlive an open, or a read after another mount's close would stop at the old size
 * (close-to-open). Attribute calls land in the mount's own cache below, which costs microseconds.
 */
export const ATTR_TIMEOUT_S = 0;
/**
 * Attributes the mount itself caches (from readdir, lookups and its own mutations), so `ls -l`
 * of a big directory costs one listing rather than a stat per name. Every open bypasses it.
 */
export const ATTR_CACHE_TTL_MS = 1_000;
/**
 * With attr_timeout=0 the kernel still trusts attributes until its next tick (4 ms at HZ=250,
 * 10 ms at HZ=100). An open that finds the size changed since the kernel may have been told waits
 * this long, so the read that follows fetches the new size instead of stopping at the old one.
 */
export const KERNEL_ATTR_SETTLE_MS = 11;
/** Entries in the attribute cache before the oldest are dropped. */
export const ATTR_CACHE_ENTRIES_MAX = 100_000;

/**
 * Unit in which writes are gathered before they are sent: the SDK's piece, so each gathered run
 * is one push and one chunk write. Runs never cross a chunk boundary.
 */
export const WRITE_GATHER_BYTES = PIECE_BYTES_DEFAULT;
/**
 * Unit in which gathered bytes are held: a window's memory is allocated a page at a time as it is
 * written, so random 4 KiB writes across a big file hold 64 KiB each rather than a 4 MiB window.
 * A range inside one page is sent without a copy; one crossing pages is copied out once.
 */
export const WRITE_PAGE_BYTES = 64 * KiB;
/**
 * Whole gathered windows of one file being written at once, as the SDK's own streams keep: the
 * bytes in flight per file are bounded by this many windows (and O_APPEND batches by this many).
 */
export const WRITE_RUNS_IN_FLIGHT = PIECES_IN_FLIGHT;
/**
 * Ranges of one file being written at once. Small ranges (random writes) cost round trips, not
 * bandwidth, so more of them overlap: 4 KiB writes reach the cluster 12% faster with 16 in flight
 * than with 6 (469 → 526/s on a 2-core loopback cluster), and no faster with 32 or 64.
 */
export const WRITE_RANGES_IN_FLIGHT_MAX = 16;
/**
 * Bytes one file may hold gathered (not yet sent) before its oldest windows go out (the writer
 * waits while they are handed over). The more is held, the more random writes merge before they
 * are sent, and every range sent costs a push and a chunk write however small it is (a loopback
 * cluster on 2 cores takes about 550 such writes a second). fio's 4 KiB random writes over a
 * 256 MiB file for 20 s: 64 MiB → 385 IOPS (the writer stood still while half went out, range by
 * range), 256 MiB → 3780. The price: a close or fsync after many scattered writes sends them all.
 */
export const WRITE_DIRTY_BYTES_MAX = 256 * MiB;
/** Gathered bytes that saw no write for this long are sent anyway: data should not idle in memory. */
export const WRITE_IDLE_SEND_MS = 1_000;

/** Unit of read-ahead: one SDK piece read per block. */
export const READ_BLOCK_BYTES = PIECE_BYTES_DEFAULT;
/** Blocks a sequential reader keeps requested ahead of where it reads. */
export const READ_AHEAD_BLOCKS_MAX = PIECES_IN_FLIGHT;
/** Idle block buffers the mount keeps for reuse: one sequential reader's worth (see block-cache.ts). */
export const READ_POOL_IDLE_BYTES_MAX = (READ_AHEAD_BLOCKS_MAX + 3) * READ_BLOCK_BYTES;
/**
 * The kernel's read-ahead for the mount (its bdi's read_ahead_kb; 128 KiB by default). With 1 MiB
 * the kernel keeps several 128 KiB reads in flight, so a sequential reader no longer waits a FUSE
 * round trip per request: `dd` of 512 MiB went from 185–223 to 247–262 MiB/s (4 MiB: no better).
 */
export const KERNEL_READ_AHEAD_KIB = 1024;

/**
 * Unit of a read that is not sequential: the kernel sends 4 KiB for random reads and reads
 * nothing ahead, so the aligned granule around it is fetched (one FUSE request's worth) and kept.
 */
export const READ_GRANULE_BYTES = FUSE_REQUEST_BYTES_MAX;
/**
 * Granules one open file keeps (least recently used dropped first): 256 MiB, within the mount's
 * budget, which writers take back from when they need it. With O_DIRECT the kernel keeps nothing,
 * so this is the only cache a random reader has: fio's 4 KiB random reads of a 256 MiB file hit
 * it once the file has been read through (each miss is a chunkserver round trip, ~1 ms here).
 */
export const READ_GRANULES_MAX = 2048;

/**
 * Bytes of file data the whole mount holds in memory (gathered writes, writes in flight,
 * read-ahead blocks). A writer waits for room; read-ahead simply skips when there is none.
 */
export const MOUNT_BUFFER_BYTES_MAX = 512 * MiB;

/** Open file descriptors the mount hands out; beyond it, open fails with ENFILE. */
export const OPEN_FILES_MAX = 65_536;
/**
 * Closed files whose writes have not been fsynced yet, remembered so that a later fsync of the
 * same path (e.g. `sync FILE` after `cp`) still reaches every replica that took them.
 */
export const UNSYNCED_FILES_MAX = 4_096;
/** Earlier handles (before a rename) one open file keeps for fsync. */
export const RETIRED_HANDLES_MAX = 16;

/**
 * Ceiling on any one FUSE operation. The SDK bounds every call itself (a write to a dead
 * chunkserver is retried for up to 2 × lease + 10 s); this only stops a bug from hanging a
 * process in the kernel forever. fuse-native's own default (15 s) would cut healthy failovers.
 */
export const FUSE_OP_TIMEOUT_MS = 5 * 60_000;
/** On SIGINT/SIGTERM, how long buffered writes get to reach the cluster before the unmount. */
export const UNMOUNT_FLUSH_WAIT_MS = 60_000;

assert(WRITE_GATHER_BYTES >= FUSE_REQUEST_BYTES_MAX, 'a gathered run holds at least one FUSE write');
assert(WRITE_PAGE_BYTES <= WRITE_GATHER_BYTES, 'a window holds whole pages');
assert(WRITE_RANGES_IN_FLIGHT_MAX >= WRITE_RUNS_IN_FLIGHT, 'small ranges overlap at least as much as whole windows');
assert(
  WRITE_DIRTY_BYTES_MAX + (WRITE_RUNS_IN_FLIGHT + 1) * WRITE_GATHER_BYTES <= MOUNT_BUFFER_BYTES_MAX,
  'one writer alone fits the mount buffer',
);
assert(READ_AHEAD_BLOCKS_MAX * READ_BLOCK_BYTES <= MOUNT_BUFFER_BYTES_MAX, 'one reader fits the mount buffer');

// ---- write-back under directory delegations (docs/mount.md, "Small files")

/**
 * Creates in one directory within DELEGATE_WINDOW_MS after which the mount asks for the
 * directory's delegation: a burst of new files, not one file now and then (each delegation costs a
 * logged grant, renewals, and a recall when another client looks in).
 */
export const DELEGATE_AFTER_CREATES = 4;
export const DELEGATE_WINDOW_MS = 1_000;
/** After a refusal or a recall, the mount leaves the directory alone this long. */
export const DELEGATE_BACKOFF_MS = 10_000;
/** The recall long-poll's wait per request (well under the RPC timeout). */
export const RECALL_POLL_MS = 20_000;
/**
 * A delegation is used for local answers only until this long before its expiry: a renewal that
 * is late (a busy or restarting master) must not leave the mount answering on a lapsed one.
 */
export const DELEGATION_SAFETY_MS = 2_000;
/**
 * Files created in delegated directories and not yet sent, and their bytes, at most: beyond, new
 * files are created at the master at once, as without a delegation. They bound what a mount that
 * dies loses, and how long a recall takes (everything pending in the directory goes out first).
 */
export const PENDING_FILES_MAX = 4_096;
export const PENDING_BYTES_MAX = 64 * MiB;
/** A pending file growing past this is sent at once and written through like any other. */
export const PENDING_FILE_BYTES_MAX = 1 * MiB;
/** Closed pending files go out once no file was created here for this long… */
export const WRITE_BACK_IDLE_MS = 200;
/** …or once the oldest has waited this long, or more than half the bounds above are used. */
export const WRITE_BACK_AGE_MS = 5_000;
/** Pending files sent at once (each: a create, a write into its reserved chunk, an extend). */
export const WRITE_BACK_FILES_IN_FLIGHT = 8;
/**
 * File descriptors the mount hands out: those of open files (open-files.ts) are below this, those
 * of pending files (write-back.ts) from it up, so each call finds its table by the number alone.
 */
export const LOCAL_FD_BASE = 0x40000000;
