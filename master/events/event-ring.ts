// The master's recent events (lease grants, chunkservers up and dead, clones) for `GET /events`:
// what a person watching the dashboard wants to see happen. In memory and bounded: the oldest
// events fall off, and a restarted master starts over (the log files keep the full story).

import { MASTER_EVENTS_MAX } from '../../shared/limits.js';
import type { MasterEvent, MasterEventKind } from '../../shared/protocol/events.js';

export class EventRing {
  private readonly events: MasterEvent[] = [];
  private seq = 0;

  constructor(
    private readonly clock: () => number,
    private readonly entriesMax = MASTER_EVENTS_MAX,
  ) {}

  add(kind: MasterEventKind, subject: string, detail: string): void {
    this.seq++;
    this.events.push({ seq: this.seq, atMs: this.clock(), kind, subject, detail });
    if (this.events.length > this.entriesMax) this.events.shift();
  }

  /** Oldest first. */
  list(): MasterEvent[] {
    return this.events.map((event) => ({ ...event }));
  }
}
