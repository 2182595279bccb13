// Turns the registry's lazy liveness (a server is alive while its last heartbeat is recent) into
// events: each check compares the live set with the previous one, so a death is reported once,
// within a tick of the master deciding it, and a registration or a comeback as `chunkserver-up`.

import type { ChunkserverRegistry } from '../chunkservers/registry.js';
import type { EventRing } from './event-ring.js';

export class LivenessWatch {
  private readonly alive = new Set<string>();

  constructor(
    private readonly registry: ChunkserverRegistry,
    private readonly events: EventRing,
  ) {}

  check(now: number): void {
    for (const info of this.registry.servers.values()) {
      const alive = this.registry.isAliveId(info.id, now);
      if (alive === this.alive.has(info.id)) continue;
      if (alive) {
        this.alive.add(info.id);
        this.events.add('chunkserver-up', info.id, `address=${info.address} rack=${info.rack || '-'}`);
      } else {
        this.alive.delete(info.id);
        const silentMs = now - info.lastHeartbeatMs;
        this.events.add('chunkserver-dead', info.id, `address=${info.address} silentMs=${silentMs}`);
      }
    }
  }
}
