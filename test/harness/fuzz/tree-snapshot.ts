// A record of every file and directory below some roots (type, size, modification time), data
// directories left out, to tell whether anything outside them was created, changed or removed.
// Symbolic links are recorded, never followed.

import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export type TreeSnapshot = Map<string, string>;

export interface SnapshotOptions {
  /** Whole subtrees not recorded: the servers' data directories. */
  skip: readonly string[];
  /** Names not descended into anywhere (`node_modules`, `.git`). */
  skipNames?: readonly string[];
}

export async function snapshotTree(roots: readonly string[], options: SnapshotOptions): Promise<TreeSnapshot> {
  const snapshot: TreeSnapshot = new Map();
  const skip = new Set(options.skip);
  const skipNames = new Set(options.skipNames ?? []);
  const visit = async (path: string): Promise<void> => {
    if (skip.has(path)) return;
    const stats = await lstat(path).catch(() => undefined);
    if (stats === undefined) return;
    const type = stats.isDirectory() ? 'dir' : stats.isSymbolicLink() ? 'link' : 'file';
    snapshot.set(path, type === 'dir' ? 'dir' : `${type} ${stats.size} ${stats.mtimeMs}`);
    if (type !== 'dir') return;
    const names = await readdir(path).catch(() => []);
    for (const name of names) if (!skipNames.has(name)) await visit(join(path, name));
  };
  for (const root of roots) await visit(root);
  return snapshot;
}

/** Lines naming what differs: `+ path` created, `- path` removed, `~ path` changed. */
export function treeDifferences(before: TreeSnapshot, after: TreeSnapshot): string[] {
  const differences: string[] = [];
  for (const [path, state] of after) {
    const was = before.get(path);
    if (was === undefined) differences.push(`+ ${path}`);
    else if (was !== state) differences.push(`~ ${path} (${was} → ${state})`);
  }
  for (const path of before.keys()) if (!after.has(path)) differences.push(`- ${path}`);
  return differences;
}

/** Files whose name contains `marker` below `root` (not below the skipped subtrees). */
export function namesContaining(snapshot: TreeSnapshot, marker: string): string[] {
  return [...snapshot.keys()].filter((path) => path.slice(path.lastIndexOf('/') + 1).includes(marker));
}
