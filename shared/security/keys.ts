// One key per use, derived from the cluster secret (HKDF-SHA256), so a token of one kind can never
// pass as another and no check ever handles the secret itself.

import { hkdfSync } from 'node:crypto';

export interface ClusterKeys {
  /** HMAC of server-to-server requests (registration, heartbeats, orders, forwarding). */
  readonly peerRequest: Buffer;
  /** HMAC of chunk access tokens the master hands clients with chunk locations. */
  readonly chunkToken: Buffer;
  /** HMAC of client (user) tokens made by `gfs token create`. */
  readonly clientToken: Buffer;
}

const KEY_BYTES = 32;
const SALT = 'gfs cluster keys v1';

function derive(secret: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, SALT, purpose, KEY_BYTES));
}

export function deriveClusterKeys(secret: Buffer): ClusterKeys {
  return {
    peerRequest: derive(secret, 'peer-request'),
    chunkToken: derive(secret, 'chunk-token'),
    clientToken: derive(secret, 'client-token'),
  };
}
