// The one table from gfs error codes to the errno a FUSE call answers (STYLE: one code → errno
// map). Every code is listed, so a new code fails to compile until it has an errno here.

import { constants } from 'node:os';
import { type ErrorCode, GfsError } from '../../shared/errors.js';

const E = constants.errno;

export const ERRNO_OF_CODE: Record<ErrorCode, number> = {
  NOT_FOUND: E.ENOENT,
  ALREADY_EXISTS: E.EEXIST,
  NOT_A_DIRECTORY: E.ENOTDIR,
  IS_A_DIRECTORY: E.EISDIR,
  NOT_EMPTY: E.ENOTEMPTY,
  // The kernel refuses `.`/`..` and overlong names before we see them; what remains is a bad value.
  INVALID_PATH: E.EINVAL,
  INVALID_ARGUMENT: E.EINVAL,
  RECORD_TOO_LARGE: E.EFBIG,
  OUT_OF_SPACE: E.ENOSPC,
  // The rest are failures of the cluster that the SDK already retried as long as it is patient:
  // to a program they are I/O errors.
  STALE_VERSION: E.EIO,
  LEASE_EXPIRED: E.EIO,
  NOT_PRIMARY: E.EIO,
  CHECKSUM_MISMATCH: E.EIO,
  CHUNK_NOT_FOUND: E.EIO,
  DATA_NOT_FOUND: E.EIO,
  UNKNOWN_CHUNKSERVER: E.EIO,
  BUSY: E.EIO,
  UNAVAILABLE: E.EIO,
  NOT_READY: E.EIO,
  REPLICA_FAILED: E.EIO,
  // Another client held the directory past the SDK's patience with its recall.
  DELEGATED: E.EAGAIN,
  UNAUTHENTICATED: E.EACCES,
  PERMISSION_DENIED: E.EACCES,
  TOKEN_INVALID: E.EACCES,
  TOKEN_EXPIRED: E.EACCES,
  TOKEN_WRONG_CHUNK: E.EACCES,
  TOKEN_WRONG_MODE: E.EACCES,
  INTERNAL: E.EIO,
};

/**
 * An errno the mount raises itself (read-only mount, unsupported call…), carried through the same
 * path as GfsErrors so the operations layer has one way to answer.
 */
export class ErrnoError extends Error {
  override name = 'ErrnoError';

  constructor(
    readonly errno: number,
    message: string,
  ) {
    super(message);
  }
}

export function errnoError(name: keyof typeof E, message: string): ErrnoError {
  return new ErrnoError(E[name], message);
}

/** The positive errno for any failure; anything unexpected is EIO (and logged by the caller). */
export function errnoOf(error: unknown): number {
  if (error instanceof GfsError) return ERRNO_OF_CODE[error.code];
  if (error instanceof ErrnoError) return error.errno;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && code.startsWith('E') && Object.hasOwn(E, code)) {
    return E[code as keyof typeof E];
  }
  return E.EIO;
}

/** True for failures that are part of normal life (ENOENT on a lookup), not worth a log line. */
export function isExpectedErrno(errno: number): boolean {
  return (
    errno === E.ENOENT ||
    errno === E.EEXIST ||
    errno === E.ENOTEMPTY ||
    errno === E.ENOTDIR ||
    errno === E.EISDIR ||
    errno === E.EROFS ||
    errno === E.EPERM ||
    errno === E.ENOTSUP ||
    errno === E.EINVAL
  );
}
