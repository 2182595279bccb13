// Remembers which keys were seen, so a condition that repeats on every request (a peer with the
// wrong secret) is logged once rather than per request. Bounded: past `capacity` distinct keys
// nothing new is remembered (and so nothing new logged), however many an attacker invents.

export const ONCE_PER_KEY_CAPACITY = 1_000;

export class OncePerKey {
  private readonly seen = new Set<string>();

  constructor(private readonly capacity = ONCE_PER_KEY_CAPACITY) {}

  /** True the first time `key` is offered (while there is room to remember it). */
  first(key: string): boolean {
    if (this.seen.has(key) || this.seen.size >= this.capacity) return false;
    this.seen.add(key);
    return true;
  }
}
