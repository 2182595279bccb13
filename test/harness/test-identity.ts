// One cluster secret for every test cluster, and client tokens minted from it (issue 7): with
// GFS_SECRET and GFS_TOKEN set for every test process (vitest.config.ts), every master a test
// starts accepts every client a test makes, as the superuser, without each test saying so. Tests of
// refusals mint other tokens with testToken().

import { type ClientTokenRequest, mintClientToken } from '../../shared/security/client-token.js';
import { deriveClusterKeys } from '../../shared/security/keys.js';

/** Fixed, and only ever used by tests. */
export const TEST_CLUSTER_SECRET = 'gfs-test-cluster-secret-0123456789abcdef0123456789abcdef';

export const TEST_KEYS = deriveClusterKeys(Buffer.from(TEST_CLUSTER_SECRET, 'utf8'));

/** The superuser every test client acts as unless it says otherwise. */
export const TEST_ADMIN = 'tester';

export function testToken(request: ClientTokenRequest, nowMs?: number): string {
  return mintClientToken(TEST_KEYS, request, nowMs);
}
