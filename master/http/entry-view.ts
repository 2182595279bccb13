// Namespace entries as the protocol shows them (DESIGN §7 `ls --json` / `stat --json` shapes).

import { baseName } from '../../shared/paths.js';
import type { Entry } from '../../shared/protocol/namespace.js';
import { DEFAULT_GROUP, DEFAULT_OWNER, type NamespaceEntry } from '../state/types.js';

export function entryView(path: string, entry: NamespaceEntry, name = baseName(path)): Entry {
  const isFile = entry.type === 'file';
  return {
    name,
    path,
    type: entry.type,
    size: isFile ? entry.length : 0,
    chunks: isFile ? entry.chunks.length : 0,
    replication: isFile ? entry.replication : 0,
    mtime: new Date(entry.mtimeMs).toISOString(),
    mtimeMs: entry.mtimeMs,
    mode: entry.mode,
    owner: entry.owner ?? DEFAULT_OWNER,
    group: entry.group ?? DEFAULT_GROUP,
  };
}
