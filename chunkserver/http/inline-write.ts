// PUT /chunk/write-inline and PUT /chunk/apply-inline on the bare node:http data path (see
// fast-path.ts): small writes whose bytes travel in the request itself rather than in a push along
// the chain followed by a write (shared/protocol/data.ts). The body is received like a push into
// the bounded push buffer (so memory stays bounded), its CRC32C checked against the sender's, then
// handed to the mutator: as a write at the primary, as an apply in serial order at a secondary.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { GfsError } from '../../shared/errors.js';
import { peerOf } from '../../shared/http/failure-log.js';
import type { PeerVerifier } from '../../shared/http/peer-auth.js';
import { INLINE_WRITE_BYTES_MAX } from '../../shared/limits.js';
import { APPLY_INLINE_URL, BODY_CRC_HEADER, WRITE_INLINE_URL } from '../../shared/protocol/data.js';
import { sha256Of } from '../../shared/security/peer-signature.js';
import type { InlineApplyRequest, InlineWriteRequest, Mutator } from '../mutation/mutator.js';
import type { ClaimedData } from '../push/push-buffer.js';
import { type PushTarget, receivePush } from '../push/receive.js';
import { checkHandle } from '../store/handle.js';
import type { ChunkAccessCheck } from './chunk-access.js';
import { addressListParam, declaredLength, integerParam } from './params.js';
import { parseUrl, sendError, sendJson } from './respond.js';

export interface InlineTarget extends PushTarget {
  mutator: Mutator;
  /** Checks that an apply-inline comes from a server of the cluster; none under --insecure. */
  peerVerifier?: PeerVerifier | undefined;
  access: ChunkAccessCheck;
}

/** Push-buffer ids of inline bodies: never a client's (a '.' is outside the data-id alphabet). */
let inlineBodies = 0;

export function isInlineRequest(request: IncomingMessage): boolean {
  const url = request.url ?? '';
  return url.startsWith(`${WRITE_INLINE_URL}?`) || url.startsWith(`${APPLY_INLINE_URL}?`);
}

export async function handleInline(
  target: InlineTarget,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = request.url ?? '';
  try {
    if (request.method !== 'PUT') throw new GfsError('NOT_FOUND', 'no such route', `${request.method} ${url}`);
    const parsed = parseUrl(url);
    if (parsed.pathname === WRITE_INLINE_URL) {
      const write: InlineWriteRequest = {
        ...mutationParams(parsed),
        secondaries: addressListParam(parsed, 'secondaries'),
      };
      // Checked before the body is taken in. (An apply-inline comes from the primary, not a client.)
      target.access.check(request.headers, { handle: write.handle, version: write.version, mode: 'w' });
      const data = await receiveInline(target, request, write.handle);
      sendJson(response, 200, await target.mutator.writeInline(write, data));
      return;
    }
    // Primary → secondary: refused before anything is read or ordered unless a server signed it.
    target.peerVerifier?.checkHeaders('PUT', url, request.headers, peerOf(request.socket));
    const apply: InlineApplyRequest = { ...mutationParams(parsed), serial: integerParam(parsed, 'serial') };
    if (apply.serial < 1) throw new GfsError('INVALID_ARGUMENT', 'serial must be positive', url.slice(0, 200));
    // The serial takes its turn even when the bytes did not arrive whole, or not as signed (the
    // signature proved the serial genuine): later ones need not wait.
    const data = await receiveInline(target, request, apply.handle)
      .then((received) => checkSignedBody(target, request, received))
      .catch((error: unknown) =>
        error instanceof GfsError ? error : new GfsError('REPLICA_FAILED', String(error), apply.handle),
      );
    sendJson(response, 200, await target.mutator.applyInline(apply, data));
  } catch (error) {
    sendError(response, error, url);
  }
}

function mutationParams(url: URL): { handle: string; version: number; offset: number } {
  return {
    handle: checkHandle(url.searchParams.get('handle') ?? ''),
    version: integerParam(url, 'version'),
    offset: integerParam(url, 'offset'),
  };
}

/** The received bytes against the digest their (verified) signature covers; released when refused. */
function checkSignedBody(target: InlineTarget, request: IncomingMessage, data: ClaimedData): ClaimedData {
  if (target.peerVerifier === undefined) return data;
  try {
    target.peerVerifier.checkBody(
      request.headers,
      sha256Of(data.pieces, data.bytes),
      `PUT ${APPLY_INLINE_URL}`,
      peerOf(request.socket),
    );
  } catch (error) {
    data.release();
    throw error;
  }
  return data;
}

/** The whole body, its CRC32C checked against the sender's; the caller releases it. */
async function receiveInline(target: InlineTarget, request: IncomingMessage, handle: string): Promise<ClaimedData> {
  const declaredBytes = declaredLength(request);
  if (declaredBytes === undefined || declaredBytes > INLINE_WRITE_BYTES_MAX) {
    throw new GfsError(
      'INVALID_ARGUMENT',
      `an inline write needs a content-length up to ${INLINE_WRITE_BYTES_MAX}`,
      handle,
    );
  }
  const crcText = request.headers[BODY_CRC_HEADER];
  if (typeof crcText !== 'string' || !/^\d{1,10}$/.test(crcText)) {
    throw new GfsError('INVALID_ARGUMENT', `an inline write needs its CRC32C in ${BODY_CRC_HEADER}`, handle);
  }
  const dataId = `inline.${++inlineBodies}`;
  const received = await receivePush(target, { dataId, chain: [], declaredBytes, body: request });
  const data = target.buffer.claim(dataId, received.bytes);
  if (received.crc32c !== Number(crcText)) {
    data.release();
    throw new GfsError('REPLICA_FAILED', 'inline data arrived damaged', handle);
  }
  return data;
}
