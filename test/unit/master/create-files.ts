// Shared by the op-log and checkpoint tests: commits creates of /f<from> … /f<to - 1> all at once
// (one group commit), as a busy master would.

import type { StateLog } from '../../../master/oplog/state-log.js';

export async function createFiles(log: StateLog, from: number, to: number): Promise<void> {
  const commits: Promise<unknown>[] = [];
  for (let i = from; i < to; i++) {
    commits.push(
      log.commit({ op: 'create', path: `/f${i}`, overwrite: false, replication: 3, mode: 0o644, mtimeMs: i }),
    );
  }
  await Promise.all(commits);
}
