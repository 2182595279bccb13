// The header that carries a chunk's access token (the one its location or lease came with) on a
// data request; none when the master handed out none (a cluster run with --insecure).

import { GfsError } from '../../shared/errors.js';
import { CHUNK_TOKEN_HEADER } from '../../shared/security/chunk-token.js';

export function tokenHeaders(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { [CHUNK_TOKEN_HEADER]: token };
}

/** A refused token: every replica would refuse the same token, so trying the next one is no use. */
export function isTokenError(error: unknown): boolean {
  return (
    error instanceof GfsError &&
    (error.code === 'TOKEN_INVALID' ||
      error.code === 'TOKEN_EXPIRED' ||
      error.code === 'TOKEN_WRONG_CHUNK' ||
      error.code === 'TOKEN_WRONG_MODE')
  );
}
