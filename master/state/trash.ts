// Where deleted files wait out the trash retention before they leave the namespace (DESIGN §3,
// issue 5 item 5). Delete does not move files here yet (it still removes them at once); what
// reads the trash already — re-replication, which repairs live files' chunks before trashed ones,
// and fsck, which checks both — goes through this one predicate.

import { isSameOrBelow } from '../../shared/paths.js';

/** The hidden directory of trashed files; a trashed file's path lies below it. */
export const TRASH_ROOT = '/.gfs-trash';

export function isTrashPath(path: string): boolean {
  return isSameOrBelow(path, TRASH_ROOT);
}
