// Paths as clients name them: normalised, and never inside the hidden trash (a trashed file is
// reached only through `gfs trash` and `gfs restore`). Reads of a trash path answer NOT_FOUND;
// records that would create one are refused by check() (INVALID_PATH).

import { normalizePath } from '../../shared/paths.js';
import { requireOutsideTrash } from '../state/check.js';

export function visiblePath(raw: string): string {
  const path = normalizePath(raw);
  requireOutsideTrash(path, 'NOT_FOUND');
  return path;
}
