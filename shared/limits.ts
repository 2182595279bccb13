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
/**
 * Creates the master remembers by their client-chosen id, so that a create retried after its
 * answer was lost (the master restarted, the connection broke) is recognised rather than refused
 * as ALREADY_EXISTS. A retry comes within seconds; ~100 bytes each.
 */
export const RECENT_CREATES_MAX = 65_536;
export const NAME_BYTES_MAX = 255;

/** Bytes one chunkserver holds in its push buffer before it answers BUSY (backpressure). */
export const PUSH_BUFFER_BYTES_MAX = 512 * MiB;
/** Pushed data not consumed by a write within this long is dropped (the client died). */
export const PUSH_BUFFER_TTL_MS = 60_000;
/** Largest single push / write request: the client splits bigger writes. */
export const PIECE_BYTES_MAX = 16 * MiB;
/** Piece size the SDK uses for large writes; several are in flight at once. */
export const PIECE_BYTES_DEFAULT = 4 * MiB;
/**
 * Largest write the SDK sends inline: the bytes travel in the write request to the primary, which
 * forwards them with its applies to the secondaries (`PUT /chunk/write-inline`), instead
 * of a push along the chain followed by a write. For small writes the push's own round trips cost
 * more than the chain's pipelining saves; one FUSE write request's worth (128 KiB) still goes
 * inline, bigger pieces are pushed.
 */
export const INLINE_WRITE_BYTES_MAX = 128 * KiB;
/** Pieces of one stream in flight at once (DESIGN §6: several in flight hide per-request cost). */
export const PIECES_IN_FLIGHT = 6;
/**
 * `gfs cp -r`: files up to one piece are small, copied SMALL_FILE_COPIES_IN_FLIGHT at a time
 * (each holds about a piece in memory at most); larger ones one at a time, each with its pieces in
 * flight.
 */
export const SMALL_FILE_BYTES_MAX = PIECE_BYTES_DEFAULT;
export const SMALL_FILE_COPIES_IN_FLIGHT = 8;
/** Chunks a reader prefetches ahead and a writer keeps open at once. */
export const READ_AHEAD_CHUNKS = 2;
/** How many chunk locations the SDK asks for at once (GFS prefetches following chunks). */
export const LOCATE_PREFETCH_CHUNKS = 16;
/**
 * The highest chunk version the system carries: the data path parses versions of at most 15
 * digits (chunkserver/http/params.ts), and the master bumps a version by one per lease, so no
 * grant ever gets near it. A chunkserver reporting more holds garbage, not a missed bump: the
 * master neither adopts nor deletes such a replica (master/chunkservers/reports.ts).
 */
export const CHUNK_VERSION_MAX = 999_999_999_999_999;
/** A secondary waits this long, from a mutation's arrival, for earlier serials before giving up on the gap. */
export const SERIAL_GAP_WAIT_MS = 10_000;

/**
 * At most this many new chunks the master keeps created ahead of demand: placed, at version 1 on
 * their replicas, the lease on their primary (master/leases/chunk-pool.ts). Allocating a chunk
 * (every new file's first) then needs no grant round trip to three chunkservers, each storing a
 * version durably: 9–14 ms of a small file's 25 ms on the 2-core test machine. Refilled in one
 * batch per chunkserver after use; an idle master lets them expire. 0 turns the pool off.
 */
export const CHUNK_POOL_CHUNKS_DEFAULT = 64;
/**
 * The pool keeps twice the chunks taken within the last CHUNK_POOL_DEMAND_WINDOW_MS, and at least
 * CHUNK_POOL_READY_MIN: a big file's writer (a new 64 MiB chunk every second or so) then costs a
 * few chunks created ahead, not 64 that age unused (each is three files on each of its replicas).
 */
export const CHUNK_POOL_READY_MIN = 4;
export const CHUNK_POOL_DEMAND_WINDOW_MS = 1_000;
/**
 * Pooled chunks reserved by creates for their file's first chunk, waiting for the extend that
 * attaches them, at most. A create that reserves one is a bet that the file gets written; files
 * left empty hold theirs until its lease ends, and this bounds how many.
 */
export const CHUNK_POOL_RESERVED_MAX = 4_096;
/** How often pooled chunks past their usable time, and reservations past their lease, are dropped. */
export const CHUNK_POOL_SWEEP_MS = 1_000;
/**
 * Shortest time a pooled chunk must stay usable (half of lease − LEASE_SAFETY_MARGIN_MS, 29 s with
 * the default lease) for the pool to exist: with the seconds-long leases tests use, pooled chunks
 * would mostly age unused, deleted and made again.
 */
export const CHUNK_POOL_USABLE_MS_MIN = 2_000;

/**
 * Chunks a lease may allocate before the one it asks for (holes, in a write past a file's end):
 * 64 GiB of holes at the default chunk size. Each hole is a real chunk on every replica, so
 * without a bound one request naming a far index (a hostile client, or a bug) would have the
 * chunkservers create millions of files while the request runs for hours. A sparse file that
 * must grow further does so in steps (a write, then the next far one), or through truncate.
 */
export const HOLE_CHUNKS_PER_LEASE_MAX = 1_024;
/** Retries of one chunk mutation or read before the SDK reports failure. */
export const CLIENT_RETRIES_MAX = 12;
export const CLIENT_RETRY_BACKOFF_MS = 250;
/** Upper bound on any single RPC. */
export const RPC_TIMEOUT_MS = 30_000;
/**
 * Longest wait for a TCP connection. A host that vanished (power, a cut link) answers nothing, and
 * a read tries the next replica only once this runs out: undici's 10 s default stalled reads that
 * long (test/e2e/several-hosts.test.ts). A live peer connects in well under a millisecond on a
 * LAN; 3 s still covers a lost SYN's first retransmit (1 s).
 */
export const CONNECT_TIMEOUT_MS = 3_000;
/** Entries in the client's location cache before the oldest are evicted. */
export const LOCATION_CACHE_ENTRIES_MAX = 100_000;
/** Cached locations are refreshed after this long (replicas may have moved). */
export const LOCATION_CACHE_TTL_MS = 30_000;

/**
 * How often the master looks at its repair queue and starts clones as throttle slots free up.
 * Cheap when nothing is wrong (no scan, an empty queue), and short next to --dead-after, so a
 * repair starts within a fraction of a second of the master declaring a chunkserver dead.
 */
export const REPAIR_TICK_MS = 500;
/**
 * Full health scans (every file's chunks against the live replicas) run when the set of live
 * chunkservers changes and at least this often otherwise, to catch corrupt reports and chunks
 * created while too few servers were up. A scan is O(chunks); it runs in slices over several ticks.
 */
export const REPAIR_RESCAN_MS = 5_000;

/**
 * Above this many chunks, `gfs status` and /metrics report the under-replicated count of the
 * repair scheduler's last scan instead of scanning on each call (a scan of this many takes tens of
 * milliseconds of the master's event loop; of a million, seconds).
 */
export const STATUS_SCAN_CHUNKS_MAX = 100_000;
/**
 * After the set of live chunkservers changes, repair waits until it has been stable this long (but
 * no longer than REPAIR_SETTLE_MAX_MS in all). Servers that fail together (a rack, a switch) are
 * declared dead up to a heartbeat interval apart; waiting sees the whole failure before choosing
 * what to clone first, instead of spending clones on chunks that turn out to be the less urgent.
 */
export const REPAIR_SETTLE_MS = 2_000;
export const REPAIR_SETTLE_MAX_MS = 10_000;
/** Under-replicated chunks kept in the repair queue (most urgent first); the rest wait for a later scan. */
export const REPAIR_QUEUE_MAX = 100_000;
/**
 * Clones in flight in the whole cluster: bounds the network and disk bandwidth repair takes from
 * clients, and the master's bookkeeping, however many chunks a failure left under-replicated.
 */
export const CLONES_IN_FLIGHT_MAX = 16;
/**
 * Clones one chunkserver takes part in at once, as source or target. Each streams a chunk at disk
 * speed; two keep a disk busy without starving the clients it also serves (GFS §4.3).
 */
export const CLONES_PER_CHUNKSERVER_MAX = 2;
/**
 * Longest a clone may take before the master gives up on it (the target's reply to /chunk/clone).
 * Lease requests for the chunk wait while it runs, so this also bounds that wait; a 64 MiB chunk
 * needs it only at ~2 MB/s.
 */
export const CLONE_TIMEOUT_MS = 30_000;
/**
 * Longest a primary waits, when its lease is revoked for a snapshot, for the mutations it already
 * ordered to end on every replica. Past it the snapshot goes on: the version bump that follows
 * fences what is still in flight (it fails, as any write concurrent with a lease change may).
 */
export const REVOKE_DRAIN_MS_MAX = 3_000;
/**
 * Chunks a snapshot fences (lease revoked, version bumped on every replica) at once: enough to
 * hide the round trips of a large tree, few enough not to flood the chunkservers with fsyncs.
 */
export const SNAPSHOT_FENCES_IN_FLIGHT = 32;
/**
 * Rounds of fencing one snapshot may take. Each round fences the source's chunks not yet fenced
 * (new chunks a writer allocated meanwhile); a source that keeps growing is refused (UNAVAILABLE)
 * rather than chased forever.
 */
export const SNAPSHOT_FENCE_ROUNDS_MAX = 8;
/** A chunk whose clone failed is not tried again before this long (the source or target may be failing). */
export const CLONE_RETRY_BACKOFF_MS = 3_000;
/** Bytes a clone reads from its source per request: the SDK's piece size, well under PIECE_BYTES_MAX. */
export const CLONE_PIECE_BYTES = 4 * MiB;
/** Recent clones kept for `GET /repair/clones` (what was repaired, in which order, how it ended). */
export const CLONE_LOG_ENTRIES_MAX = 1_000;
/**
 * Recent master events kept for `GET /events` (the gateway dashboard's feed): a few minutes of a
 * busy cluster's lease grants, enough for a person to see what just happened.
 */
export const MASTER_EVENTS_MAX = 200;
/** `gfs gateway`'s port unless --port says otherwise (the master's 7070 plus ten). */
export const GATEWAY_PORT_DEFAULT = 7080;
/** Files one browser upload (multipart POST) may carry; each streams into gfs on its own. */
export const GATEWAY_UPLOAD_FILES_MAX = 100;
/** Non-file form fields of an upload: the gateway reads none, so a few small ones at most. */
export const GATEWAY_UPLOAD_FIELDS_MAX = 16;
export const GATEWAY_UPLOAD_FIELD_BYTES_MAX = 64 * KiB;
/**
 * New replicas (new chunks and clones) placed on one server within RECENT_CREATIONS_WINDOW_MS
 * before placement prefers other servers: a new replica predicts heavy writes to it (GFS §4.2), so
 * a freshly added, empty chunkserver is not handed every new chunk at once. A soft limit: when
 * every candidate is over it, the best one still gets the replica.
 */
export const RECENT_CREATIONS_PER_SERVER_MAX = 64;
export const RECENT_CREATIONS_WINDOW_MS = 60_000;
/**
 * Rebalancing (DESIGN §4): bytes per second each chunkserver may move (as the source or the
 * target of a move) to even out disk use, averaged over its moves (`--rebalance-rate`; 0: off).
 * A move is an ordinary clone, run at disk speed while the chunk is held (writers wait for it), so
 * the rate spaces whole moves apart instead of slowing each one down: at 32 MiB/s a server takes
 * part in one 64 MiB move every 2 s, a fifth of a hard disk's ~150 MB/s. A new 1 TB server fills
 * in 9 to 13 hours (moves also wait for heartbeats, rebalancer.ts); raise it for quiet clusters.
 */
export const REBALANCE_BYTES_PER_SECOND_DEFAULT = 32 * MiB;
/**
 * A server is over-full when its disk use (used / capacity) is more than this many percentage
 * points above the cluster's mean, under-full when more than this below (`--rebalance-threshold`;
 * the HDFS balancer's default too). Smaller values keep servers closer at the cost of more moves.
 */
export const REBALANCE_THRESHOLD_PERCENT_DEFAULT = 10;
/**
 * Moves in flight in the whole cluster; each server takes part in one at a time and none while it
 * runs a re-replication clone. A small share of CLONES_IN_FLIGHT_MAX: rebalancing is gentle.
 */
export const REBALANCE_MOVES_IN_FLIGHT_MAX = 4;
/**
 * Chunks of one over-full server the planner looks at per tick when picking a move (leased, busy
 * and corrupt chunks are skipped): bounds the synchronous work of a tick on servers with many chunks.
 */
export const REBALANCE_CANDIDATES_PER_SOURCE_MAX = 1_024;
/** A chunk whose move failed is not moved again before this long (its source or target may be failing). */
export const REBALANCE_RETRY_BACKOFF_MS = 60_000;
/** Chunks remembered as recently failed moves; beyond, a failure is simply not remembered. */
export const REBALANCE_FAILED_CHUNKS_MAX = 10_000;
/** Chunks above their replication goal kept from one health scan for the trimmer (the rest wait for the next). */
export const OVER_GOAL_CHUNKS_MAX = 100_000;
/** Replicas reported corrupt and kept (out of service) until a clone replaces them. */
export const CORRUPT_REPLICAS_MAX = 100_000;
/** Chunks listed per category by `gfs fsck` (the counts are always exact). */
export const FSCK_LIST_MAX = 10_000;

/**
 * How often the master looks for trashed entries past `--trash-retention`. The look is O(1) when
 * nothing has expired (the trash is kept in deletion order, so only its oldest entry is checked),
 * so a short interval costs nothing and honours a short retention (tests, `0`) within a second.
 */
export const TRASH_SWEEP_MS = 1_000;
/**
 * Trashed entries purged by one logged record. Bounds the record's size and the synchronous work
 * of one apply (an entry can still be a whole directory tree: that costs what `rm -r` used to);
 * a sweep that finds more expired entries logs further records right away.
 */
export const TRASH_PURGE_BATCH_MAX = 1_000;
/** Purge records one sweep logs before it yields to other work until the next sweep. */
export const TRASH_PURGE_BATCHES_PER_SWEEP_MAX = 100;
/** Trashed entries listed by one `gfs trash` answer (the newest; the total is exact). */
export const TRASH_LIST_MAX = 100_000;

/**
 * Scrubbing (GFS §5.2): bytes per second an idle chunkserver reads to verify the checksums of
 * chunks nobody read lately. A small part of one disk's sequential rate (~150 MB/s for a hard
 * disk), so a client that arrives mid-scrub finds the disk nearly free, yet ~1.4 TB a day when
 * idle: a few TB of replicas are checked within days.
 */
export const SCRUB_BYTES_PER_SECOND = 16 * MiB;
/**
 * A chunkserver is idle once no client read, write, push or clone has touched it for this long;
 * only then does it scrub. Long enough that the pauses of a working client (think time between
 * requests, a heartbeat or two) do not let the scrubber in.
 */
export const SCRUB_IDLE_MS = 5_000;
/**
 * A replica verified less than this long ago is not verified again. Bounds how long a bad block
 * of a cold chunk goes unnoticed; HDFS's block scanner uses three weeks.
 */
export const SCRUB_INTERVAL_MS = 14 * 24 * 3600 * 1000;
/**
 * Bytes the scrubber reads (and verifies) at a time, under the chunk's read lock. A writer of the
 * chunk waits for at most one piece, and client I/O stops the scrub within one piece.
 */
export const SCRUB_PIECE_BYTES = 1 * MiB;
/** Longest the scrubber sleeps before looking again for idleness and due chunks (new chunks are due at once). */
export const SCRUB_POLL_MS_MAX = 1_000;

/**
 * How long a chunk access token (issue 7, docs/security-tokens.md) is valid from when the master
 * minted it. The SDK re-asks the master for locations every LOCATION_CACHE_TTL_MS and for leases
 * every lease, so its tokens are renewed long before this; what the lifetime bounds is how long a
 * token copied out of a client (a log, a core dump, a stolen request) stays useful, and how often a
 * holder that keeps one longer (an open file's `sync()` of a chunk written long ago) must re-ask.
 * HDFS's 10 h serves clients that keep block locations for a whole open stream; ours never do, so
 * ten minutes: 20 cache lifetimes, 10 default leases, 20 clone timeouts.
 */
export const CHUNK_TOKEN_LIFETIME_MS = 10 * 60_000;
/**
 * A chunkserver still accepts a token this long past its expiry: the master's clock (which set the
 * expiry) and the chunkserver's may differ by this much. Servers run NTP (docs/security.md), as
 * for the peer signatures' window; a few seconds would do, a minute forgives a poorly synced host.
 */
export const CHUNK_TOKEN_CLOCK_SKEW_MS = 60_000;

/** Log records after which the master writes a checkpoint and trims the log. */
export const CHECKPOINT_EVERY_RECORDS = 200_000;
/** Largest JSON control request; data travels as octet-stream pieces bounded by PIECE_BYTES_MAX. */
export const CONTROL_BODY_BYTES_MAX = 8 * MiB;
/**
 * Largest request head (request line and headers) any server reads: node's own default, written
 * down so it is a decision. gfs requests carry a few short headers; a path of PATH_BYTES_MAX
 * bytes, percent-encoded in a gateway URL (×3), still fits. A bigger head is answered 431.
 */
export const HTTP_HEADER_BYTES_MAX = 16 * KiB;
/**
 * Time a connection has to deliver a complete request head, from its first byte or (for a new
 * connection) from its accept: a client sends its head in one or two packets, so only a slow or
 * stalled client (slowloris) takes this long. Answered 408 and closed. Checked every
 * HTTP_CONNECTIONS_CHECK_MS, so a stalled head is cut within the sum of the two.
 */
export const HTTP_HEADERS_TIMEOUT_MS = 10_000;
export const HTTP_CONNECTIONS_CHECK_MS = 1_000;
/**
 * A request body (or a response the client does not read) that makes no progress for this long
 * has its connection cut. An inactivity bound, not a total one: a 16 MiB piece or a gigabyte
 * upload through the gateway takes as long as it needs while bytes keep moving. Equal to
 * RPC_TIMEOUT_MS: a gfs sender stalled this long has given up on its call already. Time the
 * server itself spends on a request (a clone, a serial-order wait) is not inactivity.
 */
export const HTTP_IDLE_TIMEOUT_MS = 30_000;
/**
 * An idle keep-alive connection is closed after this long. Longer than the SDK pool's 30 s, so
 * the client, not the server, ends idle connections (no request lost to a close race).
 */
export const HTTP_KEEP_ALIVE_TIMEOUT_MS = 65_000;
/**
 * Open connections one server accepts at once; beyond, new ones are closed as they arrive. Every
 * gfs peer pools at most 32 connections per server (shared/http/client.ts, the SDK's pool), and
 * only as many as it has requests in flight: a chunkserver in a cluster of 20 with 8 clients (SDK,
 * mount or gateway) and the master's 3 pools could see (19 + 8 + 3) × 32 = 960 at the most. The
 * bound leaves four times that, and caps the file descriptors and socket buffers a client that
 * opens connections and sends nothing can take (each is also cut after HTTP_HEADERS_TIMEOUT_MS).
 */
export const HTTP_CONNECTIONS_MAX = 4_096;
/** Entries in one readdir answer; bounds memory on both ends. */
export const LIST_ENTRIES_MAX = 1_000_000;

assert(CHUNK_SIZE_BYTES_DEFAULT % CHECKSUM_BLOCK_BYTES === 0, 'chunk size is a multiple of the checksum block');
assert(PIECE_BYTES_DEFAULT <= PIECE_BYTES_MAX, 'default piece fits the piece bound');
assert(INLINE_WRITE_BYTES_MAX <= PIECE_BYTES_DEFAULT, 'an inline write is smaller than a pushed piece');
assert(PIECE_BYTES_MAX * PIECES_IN_FLIGHT <= PUSH_BUFFER_BYTES_MAX, 'one client cannot fill a push buffer alone');
assert(LEASE_SAFETY_MARGIN_MS * 4 < LEASE_MS_DEFAULT, 'the safety margin is a small part of a lease');
assert(CLONES_PER_CHUNKSERVER_MAX <= CLONES_IN_FLIGHT_MAX, 'one server cannot take more clones than the cluster');
assert(CLONE_PIECE_BYTES <= PIECE_BYTES_MAX, 'a clone reads pieces a chunkserver serves');
assert(REBALANCE_MOVES_IN_FLIGHT_MAX * 2 <= CLONES_IN_FLIGHT_MAX, 'rebalancing takes a small share of the clones');
assert(REPAIR_TICK_MS < DEAD_AFTER_MS_DEFAULT, 'repair reacts faster than failure detection');
assert(SCRUB_PIECE_BYTES % CHECKSUM_BLOCK_BYTES === 0, 'a scrub piece is whole checksum blocks');
assert(SCRUB_PIECE_BYTES <= PIECE_BYTES_MAX, 'a scrub piece is a read the store serves');
assert(REVOKE_DRAIN_MS_MAX < RPC_TIMEOUT_MS, 'a revoke answers before its caller gives up');
assert(CONNECT_TIMEOUT_MS < RPC_TIMEOUT_MS, 'a connection is made well within a call');
assert(HTTP_IDLE_TIMEOUT_MS >= RPC_TIMEOUT_MS, 'a call that is still waiting is not cut as idle');
assert(HTTP_CONNECTIONS_CHECK_MS < HTTP_HEADERS_TIMEOUT_MS, 'stalled heads are found well within their timeout');
assert(TRASH_PURGE_BATCH_MAX <= TRASH_LIST_MAX, 'one purge never exceeds what a listing shows');
assert(CHUNK_TOKEN_LIFETIME_MS > 2 * LOCATION_CACHE_TTL_MS, 'a cached location never outlives its token');
assert(CHUNK_TOKEN_LIFETIME_MS > 2 * LEASE_MS_DEFAULT, 'a cached lease never outlives its token');
assert(CHUNK_TOKEN_LIFETIME_MS > CLONE_TIMEOUT_MS, 'a clone ends before its source token');

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

/**
 * A directory delegation's term (shared/protocol/delegations.ts): it lapses this long after its
 * grant or last renewal. The holder renews at a third of it. A holder that dies stalls other
 * clients' requests in its directories for at most this long (and loses what it had not sent, as
 * a machine that dies loses its page cache).
 */
export const DELEGATION_TERM_MS = 10_000;
/**
 * How long a recalled delegation may still be renewed: its holder's time to send what it has.
 * Bounded by the holder's limit on unsent files (client/mount/limits.ts) and the rate it sends
 * them; past it the master takes the delegation back, and the holder's unsent files fail.
 */
export const DELEGATION_RECALL_MS_MAX = 60_000;
/** How long a client retries a request answered DELEGATED: the recall's bound and then some. */
export const DELEGATED_PATIENCE_MS = DELEGATION_RECALL_MS_MAX + DELEGATION_TERM_MS;
