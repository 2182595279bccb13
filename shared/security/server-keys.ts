// The keys a server runs with: none under --insecure, else those derived from its cluster secret.

import type { Logger } from '../log.js';
import { resolveSecret } from './cluster-secret.js';
import { type ClusterKeys, deriveClusterKeys } from './keys.js';

export interface ServerSecurityOptions {
  insecure?: boolean;
  secretFile?: string;
}

/** `createIn`: the directory where a master keeps (and first creates) its secret when none is given. */
export async function serverKeys(
  options: ServerSecurityOptions,
  role: string,
  createIn: string | undefined,
): Promise<ClusterKeys | null> {
  if (options.insecure === true) return null;
  const secret = await resolveSecret({ secretFile: options.secretFile, createIn }, role);
  return deriveClusterKeys(secret);
}

/** Said once at start: a server that checks nothing must not look like one that does. */
export function warnIfInsecure(keys: ClusterKeys | null, logger: Logger): void {
  if (keys === null) logger.warn('running with --insecure: requests are not authenticated, permissions not checked');
}
