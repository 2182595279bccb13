// Chunk access tokens for tests that talk to a real chunkserver directly (issue 7): minted with
// the key every server of a TestCluster derives from ROOT/cluster.secret, as the master would.

import { join } from 'node:path';
import { CHUNK_TOKEN_HEADER, type ChunkTokenMode, mintChunkToken } from '../../shared/security/chunk-token.js';
import { readSecretFile, SECRET_FILE_NAME } from '../../shared/security/cluster-secret.js';
import { deriveClusterKeys } from '../../shared/security/keys.js';

/** Long enough for any test; the chunkserver checks it against its clock like any other. */
const TEST_TOKEN_LIFETIME_MS = 10 * 60_000;

/** The header that lets a request `mode` chunk `handle` at `version` on the cluster under `root`. */
export async function chunkTokenHeaders(
  root: string,
  handle: string,
  version: number,
  mode: ChunkTokenMode = 'r',
): Promise<Record<string, string>> {
  const keys = deriveClusterKeys(await readSecretFile(join(root, SECRET_FILE_NAME)));
  return chunkTokenHeader(keys.chunkToken, handle, version, mode);
}

/** The header of a token for `mode` on chunk `handle` at `version`, minted with `key` as the master would. */
export function chunkTokenHeader(
  key: Buffer,
  handle: string,
  version: number,
  mode: ChunkTokenMode,
): Record<string, string> {
  const token = mintChunkToken(key, {
    handle,
    version,
    mode,
    expiresAtMs: Date.now() + TEST_TOKEN_LIFETIME_MS,
    client: 'test',
  });
  return { [CHUNK_TOKEN_HEADER]: token };
}
