// The package's main export: the gfs SDK (DESIGN §7).

export { GfsClient, type GfsClientOptions } from './client/sdk/client.js';
export { GfsFileHandle, type OpenMode } from './client/sdk/file-handle.js';
export type { FileChunk } from './client/sdk/master-api.js';
export { GfsReadStream, GfsWriteStream, type ReadStreamOptions } from './client/sdk/streams.js';
export { ERROR_CODES, type ErrorCode, GfsError } from './shared/errors.js';
export type { ChunkLocation } from './shared/protocol/chunks.js';
export type { ClusterStatus } from './shared/protocol/heartbeat.js';
export type { Entry } from './shared/protocol/namespace.js';
