// One record append on the wire (DESIGN §3): push the bytes along the chain of the file's last
// chunk, then ask its primary to append them. "Next chunk" (the primary padded the chunk) moves
// on to the chunk after it; errors are retried with fresh answers from the master. A retry may
// leave a duplicate of the bytes behind, never lose them: the reader drops duplicates.

import { randomBytes } from 'node:crypto';
import { GfsError } from '../../../shared/errors.js';
import { appendRoute } from '../../../shared/protocol/data.js';
import { tokenHeaders } from '../chunk-token.js';
import { mutationPatienceMs, push } from '../chunk-write.js';
import type { SdkDeps } from '../deps.js';
import type { AppendLeaseReply } from '../master-api.js';
import { withRetries } from '../retry.js';
import type { AppendTarget } from './append-target.js';

/** Chunks one append may move on through before giving up: each "next chunk" is a new chunk. */
const NEXT_CHUNK_HOPS_MAX = 8;

/** Appends `data` as one unit; resolves with its offset in the file. */
export async function appendBlob(deps: SdkDeps, target: AppendTarget, data: Uint8Array): Promise<number> {
  return withRetries(
    async () => {
      let grant = await target.current();
      for (let hop = 0; hop < NEXT_CHUNK_HOPS_MAX; hop++) {
        const offset = await pushAndAppend(deps, grant, data);
        if (offset !== null) return grant.index * grant.chunkSize + offset;
        grant = await target.next(grant.index);
      }
      throw new GfsError('UNAVAILABLE', `no chunk took the record after ${NEXT_CHUNK_HOPS_MAX} new chunks`);
    },
    {
      onRetry: () => target.invalidate(),
      patienceMs: (error) => mutationPatienceMs(deps, error),
      logger: deps.logger,
      what: 'record append',
    },
  );
}

async function pushAndAppend(deps: SdkDeps, grant: AppendLeaseReply, data: Uint8Array): Promise<number | null> {
  const dataId = randomBytes(18).toString('base64url');
  await push(deps, [grant.primary, ...grant.secondaries], dataId, data, grant.token);
  const reply = await deps.rpc.call(
    grant.primary,
    appendRoute,
    { handle: grant.handle, version: grant.version, dataId, length: data.byteLength, secondaries: grant.secondaries },
    appendRoute.url,
    tokenHeaders(grant.token),
  );
  return reply.offset;
}
