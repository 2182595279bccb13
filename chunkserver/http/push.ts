// PUT /push/:dataId?chain=a:1,b:2 on the bare node:http data path (see fast-path.ts): parses and
// validates the request, checks its write token (before a byte of the body is taken), then hands
// the body stream to the push receiver, which keeps the chunk the token names with the data and
// passes the token down the chain.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { GfsError } from '../../shared/errors.js';
import { PUSH_URL_PREFIX } from '../../shared/protocol/data.js';
import { type PushTarget, receivePush } from '../push/receive.js';
import { type ChunkAccessCheck, tokenHeaderOf } from './chunk-access.js';
import { addressListParam, declaredLength } from './params.js';
import { parseUrl, sendError, sendJson } from './respond.js';

const DATA_ID = /^[A-Za-z0-9_-]{8,64}$/;

export function isPushRequest(request: IncomingMessage): boolean {
  return request.url?.startsWith(PUSH_URL_PREFIX) === true;
}

export interface PushRouteTarget extends PushTarget {
  /** Bytes of every push received whole (metrics). */
  onBytesPushed?: (bytes: number) => void;
  access: ChunkAccessCheck;
}

export async function handlePush(
  target: PushRouteTarget,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = request.url ?? '';
  try {
    if (request.method !== 'PUT') throw new GfsError('NOT_FOUND', 'no such route', `${request.method} ${url}`);
    const { dataId, chain } = parsePushUrl(url);
    // A push names no chunk: the token's is remembered with the data, and its write checked against it.
    const claims = target.access.check(request.headers, { handle: undefined, version: undefined, mode: 'w' });
    const reply = await receivePush(target, {
      dataId,
      chain,
      declaredBytes: declaredLength(request),
      body: request,
      token: tokenHeaderOf(request.headers),
      handle: claims?.handle,
    });
    target.onBytesPushed?.(reply.bytes);
    sendJson(response, 200, reply);
  } catch (error) {
    sendError(response, error, url);
  }
}

export function parsePushUrl(url: string): { dataId: string; chain: string[] } {
  const parsed = parseUrl(url);
  const dataId = parsed.pathname.slice(PUSH_URL_PREFIX.length);
  if (!DATA_ID.test(dataId)) throw new GfsError('INVALID_ARGUMENT', 'malformed data id', dataId.slice(0, 80));
  return { dataId, chain: addressListParam(parsed, 'chain') };
}
