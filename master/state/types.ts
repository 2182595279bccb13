// The master's durable state (DESIGN §2) and the operation-log records that change it. Everything
// here is plain data: records carry their own timestamps, so applying them needs no clock.

/**
 * Who owns an entry (issue 7): a user and a group name, checked against the mode bits. Absent
 * (`/`, and entries logged before owners existed) means the superuser's `root`/`root`.
 */
export interface Ownership {
  owner?: string;
  group?: string;
}

/** The owner and group of an entry whose record names none. */
export const DEFAULT_OWNER = 'root';
export const DEFAULT_GROUP = 'root';

/** A directory in the path table. Its children live in the derived `children` index. */
export interface DirEntry extends Ownership {
  type: 'dir';
  mtimeMs: number;
  mode: number;
}

/** A file: the ordered list of its chunk handles (decimal strings) and its length in bytes. */
export interface FileEntry extends Ownership {
  type: 'file';
  chunks: string[];
  length: number;
  mtimeMs: number;
  mode: number;
  replication: number;
}

export type NamespaceEntry = DirEntry | FileEntry;

/** Per chunk: its current version and how many files reference it (snapshots share chunks). */
export interface ChunkMeta {
  version: number;
  refcount: number;
}

/**
 * A trashed entry (a deleted or replaced file, or a deleted directory tree): where it was and when
 * it was deleted. Its subtree lives at `TRASH_ROOT/<name>` (master/state/trash.ts).
 */
export interface TrashInfo {
  path: string;
  deletedAtMs: number;
}

/**
 * A directory's delegation (shared/protocol/delegations.ts): which client holds it, and until when
 * unless renewed (the master's clock, ms). An expired one is simply ignored, and overwritten by
 * the next grant.
 */
export interface Delegation {
  holder: string;
  expiresAtMs: number;
}

export interface MasterState {
  /** Fixed when the data dir is created. */
  readonly chunkSizeBytes: number;
  /** The path table: full normalised path → entry. Always holds `/`. */
  readonly entries: Map<string, NamespaceEntry>;
  /** Derived (never logged): directory path → names of its children. */
  readonly children: Map<string, Set<string>>;
  readonly chunks: Map<string, ChunkMeta>;
  /** Handles below this value may have been handed out; new ones start here. */
  nextHandle: bigint;
  /** Trashed entries by their name below TRASH_ROOT, in deletion order (oldest first). */
  readonly trash: Map<string, TrashInfo>;
  /** Numbers trash names; only grows, so a name is never reused. */
  nextTrashId: number;
  /** Derived: file entries outside the trash (what users see). */
  fileCount: number;
  /** Derived: file entries inside the trash. */
  trashFileCount: number;
  /**
   * Path → the `createId` of the create that made the file there, the last RECENT_CREATES_MAX of
   * them, oldest first: for recognising a retried create (recent-creates.ts). Built from create
   * records and kept in checkpoints, so a retry is recognised across restarts.
   */
  readonly recentCreates: Map<string, string>;
  /**
   * Directory path → its delegation. Logged (and kept in checkpoints) so a restarted master goes
   * on refusing other clients until each expires or is returned: the holder may not have sent
   * what it answered from memory yet. An entry leaving its path (deleted, renamed, trashed) drops
   * its delegation (namespace-table.ts removeEntry): a delegation never follows a rename.
   */
  readonly delegations: Map<string, Delegation>;
}

export const DIR_MODE_DEFAULT = 0o755;
export const FILE_MODE_DEFAULT = 0o644;

/** Owner and group of what it creates (directories made for `parents` too); absent: root. */
export interface MkdirRecord extends Ownership {
  op: 'mkdir';
  path: string;
  /** Create missing ancestors too (`mkdir -p`). */
  parents: boolean;
  mode: number;
  mtimeMs: number;
}

/** Owner and group of the new file; absent: root. */
export interface CreateRecord extends Ownership {
  op: 'create';
  path: string;
  /** An existing file at `path` is replaced by an empty one (see `trash`). */
  overwrite: boolean;
  /**
   * The replaced file goes to the trash (deleted at `mtimeMs`) rather than having its chunks
   * dereferenced at once. Absent in records logged before the trash existed.
   */
  trash?: boolean;
  replication: number;
  mode: number;
  mtimeMs: number;
  /** The client's id for this create (createRoute's `createId`), when it sent one. */
  createId?: string;
}

export interface RenameRecord {
  op: 'rename';
  from: string;
  to: string;
  mtimeMs: number;
  /** A file replaced at `to` goes to the trash (deleted at `mtimeMs`), as for `create`. */
  trash?: boolean;
}

/**
 * Removes a file or a directory tree. With `trash`, it moves whole to a hidden trash name with its
 * deletion time (`mtimeMs`), restorable until the retention ends (GFS §4.4); without, its chunks
 * are dereferenced at once (`--trash-retention 0`, and records from before the trash).
 */
export interface DeleteRecord {
  op: 'delete';
  path: string;
  recursive: boolean;
  mtimeMs: number;
  trash?: boolean;
}

/**
 * Brings back a trashed entry, or one path inside a trashed directory: `path` is its original
 * path (the entry's, or one below it), `to` where it goes. Missing parents of `to` are created.
 * The trash entry is gone once its whole tree is restored. Created parents get `owner`/`group`.
 */
export interface RestoreRecord extends Ownership {
  op: 'restore';
  name: string;
  path: string;
  to: string;
  mtimeMs: number;
}

/** Trashed entries past their retention leave the namespace; chunks no file holds are dropped. */
export interface PurgeRecord {
  op: 'purge';
  names: string[];
}

/** A new chunk appended at `index` (= the file's current chunk count) of a file. */
export interface AddChunkRecord {
  op: 'addChunk';
  path: string;
  index: number;
  handle: string;
  version: number;
}

export interface SetVersionRecord {
  op: 'setVersion';
  handle: string;
  version: number;
}

/** Bytes up to `length` are written; the length never shrinks this way. */
export interface ExtendRecord {
  op: 'extend';
  path: string;
  length: number;
  mtimeMs: number;
}

/**
 * The file's length becomes `length` (truncate, and the reservations of reserveAppend). Shrinking
 * drops the file's chunks wholly past the new end; growing leaves a hole that reads as zeros.
 */
export interface SetLengthRecord {
  op: 'setLength';
  path: string;
  length: number;
  mtimeMs: number;
}

/** New permission bits of a file or directory (chmod; the mtime stays). */
export interface ChmodRecord {
  op: 'chmod';
  path: string;
  mode: number;
}

/** New owner and/or group of a file or directory (chown); what is absent stays. */
export interface ChownRecord {
  op: 'chown';
  path: string;
  owner?: string;
  group?: string;
}

/** New modification time of a file or directory (utimes). */
export interface SetMtimeRecord {
  op: 'setMtime';
  path: string;
  mtimeMs: number;
}

/**
 * A copy-on-write snapshot (DESIGN §3): the file or directory tree at `from` is copied to `to` (new;
 * its parent an existing directory), every entry with its mode and mtime, every file sharing the
 * source's chunks (each chunk's refcount grows by one). Logged after the source's leases were
 * revoked (master/snapshots/snapshotter.ts), so no write under an earlier lease lands afterwards.
 */
export interface SnapshotRecord {
  op: 'snapshot';
  from: string;
  to: string;
  mtimeMs: number;
}

/**
 * Copy-on-write of one shared chunk: chunk `index` of the file at `path` was `from` and is now the
 * new chunk `handle` (a copy each replica made locally, at `version`). `from` loses one reference.
 */
export interface ReplaceChunkRecord {
  op: 'replaceChunk';
  path: string;
  index: number;
  from: string;
  handle: string;
  version: number;
}

/** Moves the handle counter forward: handles below `nextHandle` may be in use, even if never logged. */
export interface ReserveHandlesRecord {
  op: 'reserveHandles';
  nextHandle: string;
}

/**
 * Grants or renews the delegations of the directories `paths` to `holder`, until `expiresAtMs`:
 * a renewal of several is one record.
 */
export interface DelegateRecord {
  op: 'delegate';
  holder: string;
  paths: string[];
  expiresAtMs: number;
}

/** Ends the delegation of the directory `path` (its holder returned it, or lost it to a recall). */
export interface UndelegateRecord {
  op: 'undelegate';
  path: string;
}

export type LogRecord =
  | MkdirRecord
  | CreateRecord
  | RenameRecord
  | DeleteRecord
  | RestoreRecord
  | PurgeRecord
  | AddChunkRecord
  | SetVersionRecord
  | ExtendRecord
  | SetLengthRecord
  | ChmodRecord
  | ChownRecord
  | SetMtimeRecord
  | ReserveHandlesRecord
  | SnapshotRecord
  | ReplaceChunkRecord
  | DelegateRecord
  | UndelegateRecord;

/** What applying a record did beyond the state itself, for the I/O shell (e.g. replicas to delete). */
export interface ApplyEffects {
  /** Chunks no file references any more: dropped from the chunk table. */
  droppedHandles: string[];
}
