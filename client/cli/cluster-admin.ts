// The quick start's credentials (issue 7): `gfs cluster` holds the cluster secret, so it mints an
// admin token for whoever runs it and saves it for its master's URL, and `gfs cp` in another
// terminal works with nothing to set up. A token already saved there that this cluster accepts
// (an admin's, or a user's chosen with `gfs login`) is kept.

import { userInfo } from 'node:os';
import { mintClientToken, validName, verifyClientToken } from '../../shared/security/client-token.js';
import type { ClusterKeys } from '../../shared/security/keys.js';
import { savedToken, saveToken } from '../sdk/credentials.js';

/** The local login name when it is a valid gfs user name (so a mount maps it to its owner), else `admin`. */
function adminName(): string {
  try {
    return validName(userInfo().username, 'user');
  } catch {
    return 'admin';
  }
}

export interface ClusterAdmin {
  /** What the cluster's own clients (its start-up probe, the gateway) send. */
  token: string;
  user: string;
  /** A token this cluster accepts is saved for its URL already: nothing to save. */
  alreadySaved: boolean;
}

export function clusterAdmin(keys: ClusterKeys, masterUrl: string): ClusterAdmin {
  const user = adminName();
  const token = mintClientToken(keys, { user, groups: [user], superuser: true });
  const existing = savedToken(masterUrl);
  if (existing !== undefined) {
    try {
      verifyClientToken(keys, existing);
      return { token, user, alreadySaved: true };
    } catch {
      // Another cluster's token, or an expired one: replaced when saved.
    }
  }
  return { token, user, alreadySaved: false };
}

/**
 * Saves the admin's token for the master's URL, once the cluster is up (a cluster that failed to
 * start leaves no token behind); where it went, or undefined when one was there already.
 */
export async function saveClusterAdmin(admin: ClusterAdmin, masterUrl: string): Promise<string | undefined> {
  return admin.alreadySaved ? undefined : saveToken(masterUrl, admin.token, admin.user);
}
