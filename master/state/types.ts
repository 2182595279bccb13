// The master's durable state (DESIGN §2) and the operation-log records that change it. Everything
// here is plain data: records carry their own timestamps, so applying them needs no clock.

/** A directory in the path table. Its children live in the derived `children` index. */
export interface DirEntry {
  type: 'dir';
  mtimeMs: number;
  mode: number;
}

/** A file: the ordered list of its chunk handles (decimal strings) and its length in bytes. */
export interface FileEntry {
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
  /** Derived: number of file entries. */
  fileCount: number;
}

export const DIR_MODE_DEFAULT = 0o755;
export const FILE_MODE_DEFAULT = 0o644;

export interface MkdirRecord {
  op: 'mkdir';
  path: string;
  /** Create missing ancestors too (`mkdir -p`). */
  parents: boolean;
  mode: number;
  mtimeMs: number;
}

export interface CreateRecord {
  op: 'create';
  path: string;
  /** An existing file at `path` is replaced by an empty one and its chunks dereferenced. */
  overwrite: boolean;
  replication: number;
  mode: number;
  mtimeMs: number;
}

export interface RenameRecord {
  op: 'rename';
  from: string;
  to: string;
  mtimeMs: number;
}

export interface DeleteRecord {
  op: 'delete';
  path: string;
  recursive: boolean;
  mtimeMs: number;
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

/** New modification time of a file or directory (utimes). */
export interface SetMtimeRecord {
  op: 'setMtime';
  path: string;
  mtimeMs: number;
}

/** Moves the handle counter forward: handles below `nextHandle` may be in use, even if never logged. */
export interface ReserveHandlesRecord {
  op: 'reserveHandles';
  nextHandle: string;
}

export type LogRecord =
  | MkdirRecord
  | CreateRecord
  | RenameRecord
  | DeleteRecord
  | AddChunkRecord
  | SetVersionRecord
  | ExtendRecord
  | SetLengthRecord
  | ChmodRecord
  | SetMtimeRecord
  | ReserveHandlesRecord;

/** What applying a record did beyond the state itself, for the I/O shell (e.g. replicas to delete). */
export interface ApplyEffects {
  /** Chunks no file references any more: dropped from the chunk table. */
  droppedHandles: string[];
}
