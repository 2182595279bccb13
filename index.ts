// The package's main export: the gfs SDK (DESIGN §7).

export { GfsClient, type GfsClientOptions } from './client/sdk/client.js';
export { GfsFileHandle, type OpenMode } from './client/sdk/file-handle.js';
export type { FileChunk } from './client/sdk/master-api.js';
export type { RecordAppendOptions } from './client/sdk/records/appender.js';
export { FRAME_HEADER_BYTES } from './client/sdk/records/frame.js';
export type { AppendedRecord, RecordsOptions } from './client/sdk/records/reader.js';
export { GfsReadStream, GfsWriteStream, type ReadStreamOptions } from './client/sdk/streams.js';
export { ERROR_CODES, type ErrorCode, GfsError } from './shared/errors.js';
export type { ChunkLocation } from './shared/protocol/chunks.js';
export type { ChunkHealth, CloneRecord, FsckReport } from './shared/protocol/health.js';
export type { ClusterStatus } from './shared/protocol/heartbeat.js';
export type { Entry, FsStats, TrashEntry } from './shared/protocol/namespace.js';
