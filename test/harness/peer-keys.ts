// The cluster keys a test signs its server-to-server requests with: derived from the secret in a
// master's data directory (made there first when missing, as the master itself would on start).

import { ensureSecretFile } from '../../shared/security/cluster-secret.js';
import { type ClusterKeys, deriveClusterKeys } from '../../shared/security/keys.js';

export async function clusterKeysOf(masterDataDir: string): Promise<ClusterKeys> {
  return deriveClusterKeys((await ensureSecretFile(masterDataDir)).secret);
}
