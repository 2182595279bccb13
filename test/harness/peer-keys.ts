// The cluster keys a test signs its server-to-server requests with: those of the secret a master
// started in `masterDataDir` resolves, as it would (GFS_SECRET, which vitest.config.ts sets for every
// test process, else the directory's cluster.secret, made there first when missing).

import { resolveSecret } from '../../shared/security/cluster-secret.js';
import { type ClusterKeys, deriveClusterKeys } from '../../shared/security/keys.js';

export async function clusterKeysOf(masterDataDir: string): Promise<ClusterKeys> {
  return deriveClusterKeys(await resolveSecret({ env: process.env, createIn: masterDataDir }, 'test'));
}
