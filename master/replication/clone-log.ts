// The most recent clones with how they ended, oldest first, for `GET /repair/clones` and the
// logs: what re-replication did and in which order. Bounded: the oldest records fall off.

import { CLONE_LOG_ENTRIES_MAX } from '../../shared/limits.js';
import type { CloneRecord } from '../../shared/protocol/health.js';

export class CloneLog {
  private readonly records: CloneRecord[] = [];

  constructor(private readonly entriesMax = CLONE_LOG_ENTRIES_MAX) {}

  /** Adds a running clone's record; the caller fills in `endedAtMs` and `result` when it ends. */
  add(record: Omit<CloneRecord, 'endedAtMs' | 'result'>): CloneRecord {
    const entry: CloneRecord = { ...record, endedAtMs: null, result: 'running' };
    this.records.push(entry);
    if (this.records.length > this.entriesMax) this.records.shift();
    return entry;
  }

  list(): CloneRecord[] {
    return this.records.map((record) => ({ ...record }));
  }
}
