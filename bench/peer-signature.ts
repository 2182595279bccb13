// The cost of authenticating a server-to-server request (docs/security-peer.md): signing on the
// caller (SHA-256 of the body, HMAC-SHA256 of the canonical text, a random nonce) plus verifying
// on the receiver (the HMAC again, the clock, the replay guard, the body's SHA-256), per request,
// for bodies the size of a heartbeat, a batch of applies, and the largest inline write.
// Run: `npm run build && node dist/bench/peer-signature.js`.

import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { deriveClusterKeys } from '../shared/security/keys.js';
import {
  ReplayGuard,
  sha256Hex,
  signPeerRequest,
  verifyPeerBody,
  verifyPeerRequest,
} from '../shared/security/peer-signature.js';

const REQUESTS = Number(process.env.GFS_BENCH_PEER_REQUESTS ?? 100_000);
const key = deriveClusterKeys(randomBytes(32)).peerRequest;

function measure(label: string, bodyBytes: number): void {
  const body = randomBytes(bodyBytes);
  const guard = new ReplayGuard();
  const path = '/chunk/apply-batch';
  const started = performance.now();
  for (let i = 0; i < REQUESTS; i++) {
    const headers = signPeerRequest(key, 'POST', path, body);
    verifyPeerRequest(key, guard, { method: 'POST', pathAndQuery: path, headers, bodySha256: undefined });
    verifyPeerBody(headers, sha256Hex(body), `POST ${path}`);
  }
  const microseconds = ((performance.now() - started) * 1000) / REQUESTS;
  process.stdout.write(
    `${label.padEnd(28)} ${bodyBytes.toString().padStart(7)} B  ${microseconds.toFixed(1)} µs/request\n`,
  );
}

measure('heartbeat', 200);
measure('apply-batch of 64', 8 * 1024);
measure('apply-inline (largest)', 128 * 1024);
