// One error type for every operating failure, with a stable code. The code (never the message)
// is what programs match on; one table maps it to an HTTP status, another (later) to an errno.

export const ERROR_CODES = {
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  NOT_A_DIRECTORY: 409,
  IS_A_DIRECTORY: 409,
  NOT_EMPTY: 409,
  INVALID_PATH: 400,
  INVALID_ARGUMENT: 400,
  RECORD_TOO_LARGE: 413,
  STALE_VERSION: 409,
  LEASE_EXPIRED: 409,
  NOT_PRIMARY: 409,
  CHECKSUM_MISMATCH: 500,
  CHUNK_NOT_FOUND: 404,
  DATA_NOT_FOUND: 404,
  UNKNOWN_CHUNKSERVER: 404,
  BUSY: 503,
  UNAVAILABLE: 503,
  NOT_READY: 503,
  REPLICA_FAILED: 502,
  OUT_OF_SPACE: 507,
  /** No credentials, or credentials that prove nothing (bad signature, replay, unknown user). */
  UNAUTHENTICATED: 401,
  /** Known caller, not allowed: mode bits, owner, superuser-only operations. */
  PERMISSION_DENIED: 403,
  /** Chunk access tokens (issue 7): forged or malformed, past expiry, for another chunk or mode. */
  TOKEN_INVALID: 403,
  TOKEN_EXPIRED: 403,
  TOKEN_WRONG_CHUNK: 403,
  TOKEN_WRONG_MODE: 403,
  /**
   * The path is in a directory another client holds the delegation of (shared/protocol/
   * delegations.ts): it has been recalled; the same request succeeds once it is returned.
   */
  DELEGATED: 503,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

export class GfsError extends Error {
  override name = 'GfsError';
  readonly code: ErrorCode;
  /** What the error is about: a path, an address, a chunk handle. */
  readonly subject: string | undefined;

  constructor(code: ErrorCode, message: string, subject?: string) {
    super(message);
    this.code = code;
    this.subject = subject;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code];
  }

  toJSON(): ErrorBody {
    return { code: this.code, message: this.message, ...(this.subject === undefined ? {} : { subject: this.subject }) };
  }
}

export interface ErrorBody {
  code: string;
  message: string;
  subject?: string;
}

/** Rebuilds the server's error on the client side from its JSON body. */
export function errorFromBody(status: number, body: unknown, fallbackSubject: string): GfsError {
  if (body && typeof body === 'object') {
    const { code, message, subject } = body as Partial<ErrorBody>;
    if (isErrorCode(code)) {
      return new GfsError(code, String(message ?? code), typeof subject === 'string' ? subject : fallbackSubject);
    }
    if (typeof message === 'string') {
      const fallback: ErrorCode = status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT';
      return new GfsError(fallback, message, fallbackSubject);
    }
  }
  return new GfsError(status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT', `HTTP ${status}`, fallbackSubject);
}

/** Errors after which the same request to another replica, or later, may succeed. */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof GfsError)) return true;
  switch (error.code) {
    case 'UNAVAILABLE':
    case 'BUSY':
    case 'NOT_READY':
    case 'STALE_VERSION':
    case 'LEASE_EXPIRED':
    case 'NOT_PRIMARY':
    case 'CHECKSUM_MISMATCH':
    case 'CHUNK_NOT_FOUND':
    case 'DATA_NOT_FOUND':
    case 'REPLICA_FAILED':
    case 'INTERNAL':
      return true;
    default:
      return false;
  }
}
