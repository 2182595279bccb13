// GET /chunk/:handle?version=&offset=&length= on the bare node:http data path (see fast-path.ts):
// exactly `length` bytes as application/octet-stream, every touched 64 KiB block verified before
// anything is sent (GFS §5.2). The range is read whole (≤ PIECE_BYTES_MAX), so memory is bounded.
// The reply names the replica's length, and the body's CRC32C when the reader asks for it (a clone
// copies that many bytes and checks what arrived; a client's read skips that extra pass).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { crc32cOf } from '../../shared/checksum.js';
import { GfsError } from '../../shared/errors.js';
import { PIECE_BYTES_MAX } from '../../shared/limits.js';
import {
  BODY_CRC_HEADER,
  READ_URL_PREFIX,
  REPLICA_BYTES_HEADER,
  WANT_BODY_CRC_HEADER,
} from '../../shared/protocol/data.js';
import type { ChunkStore } from '../store/chunk-store.js';
import { checkHandle } from '../store/handle.js';
import type { ChunkAccessCheck } from './chunk-access.js';
import { integerParam } from './params.js';
import { parseUrl, sendError } from './respond.js';

const READ_PATH = /^\/chunk\/([0-9]+)$/;
const QUERY_KEYS = new Set(['version', 'offset', 'length']);

export interface ReadRequest {
  handle: string;
  version: number;
  offsetBytes: number;
  lengthBytes: number;
}

export interface ReadTarget {
  store: ChunkStore;
  onBytesRead: (bytes: number) => void;
  access: ChunkAccessCheck;
}

export function isReadRequest(request: IncomingMessage): boolean {
  const url = request.url ?? '';
  return request.method === 'GET' && url.startsWith(READ_URL_PREFIX) && /^\/chunk\/[0-9]/.test(url);
}

export async function handleRead(
  target: ReadTarget,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = request.url ?? '';
  try {
    const read = parseReadUrl(url, target.store.chunkSizeBytes);
    target.access.check(request.headers, { handle: read.handle, version: read.version, mode: 'r' });
    const stored = target.store.versionOf(read.handle);
    if (stored === undefined) throw new GfsError('CHUNK_NOT_FOUND', 'no replica of this chunk here', read.handle);
    if (stored !== read.version) {
      throw new GfsError('STALE_VERSION', `replica is at version ${stored}, request says ${read.version}`, read.handle);
    }
    const { bytes, sizeBytes } = await target.store.readWithSize(read.handle, read.offsetBytes, read.lengthBytes);
    response.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': bytes.length,
      [REPLICA_BYTES_HEADER]: sizeBytes,
      ...(request.headers[WANT_BODY_CRC_HEADER] === undefined ? {} : { [BODY_CRC_HEADER]: crc32cOf(bytes) }),
    });
    response.end(bytes);
    target.onBytesRead(bytes.length);
  } catch (error) {
    sendError(response, error, url);
  }
}

/** Strict parse: decimal integers only, no unknown or repeated keys, range inside the chunk. */
export function parseReadUrl(url: string, chunkSizeBytes: number): ReadRequest {
  const parsed = parseUrl(url);
  const match = READ_PATH.exec(parsed.pathname);
  if (match?.[1] === undefined) throw new GfsError('INVALID_ARGUMENT', 'malformed read path', url.slice(0, 200));
  const handle = checkHandle(match[1]);
  const keys = [...parsed.searchParams.keys()];
  if (
    keys.length !== QUERY_KEYS.size ||
    keys.some((key) => !QUERY_KEYS.has(key)) ||
    new Set(keys).size !== keys.length
  ) {
    throw new GfsError('INVALID_ARGUMENT', 'read needs exactly version, offset and length', url.slice(0, 200));
  }
  const version = integerParam(parsed, 'version');
  const offsetBytes = integerParam(parsed, 'offset');
  const lengthBytes = integerParam(parsed, 'length');
  if (lengthBytes > PIECE_BYTES_MAX) {
    throw new GfsError('INVALID_ARGUMENT', `read of ${lengthBytes} bytes exceeds ${PIECE_BYTES_MAX}`, handle);
  }
  if (offsetBytes + lengthBytes > chunkSizeBytes) {
    throw new GfsError('INVALID_ARGUMENT', `read past the chunk size ${chunkSizeBytes}`, handle);
  }
  return { handle, version, offsetBytes, lengthBytes };
}
