// Chunk handles as the registry keeps them: numbers, not strings. A master with a million chunks
// on three replicas holds four references to every handle in its registry (the location table and
// three servers' chunk sets); as numbers they cost nothing beyond the table slot, as strings each
// report brings its own 24-byte copy (docs/benchmarks.md, "Master"). The API stays the decimal
// strings the rest of the master and the protocol use.

import { assert } from '../../shared/assert.js';

/** Canonical decimal handles that fit a double exactly (what the master ever hands out). */
const CANONICAL_HANDLE = /^[1-9]\d{0,15}$/;

/** The handle as a number, or undefined when it is no handle the master could have made. */
export function handleNumber(handle: string): number | undefined {
  if (!CANONICAL_HANDLE.test(handle)) return undefined;
  const value = Number(handle);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** What the registry and its users need of a server's set of chunks (a Set<string> fits too). */
export interface ChunkHandleSet extends Iterable<string> {
  readonly size: number;
  has(handle: string): boolean;
  add(handle: string): unknown;
  delete(handle: string): boolean;
}

/** A set of handles stored as numbers; iterating yields them as strings again. */
export class HandleSet implements ChunkHandleSet {
  private readonly handles = new Set<number>();

  get size(): number {
    return this.handles.size;
  }

  has(handle: string): boolean {
    const value = handleNumber(handle);
    return value !== undefined && this.handles.has(value);
  }

  add(handle: string): this {
    const value = handleNumber(handle);
    assert(value !== undefined, `a chunk handle is a canonical decimal number (${handle})`);
    this.handles.add(value);
    return this;
  }

  delete(handle: string): boolean {
    const value = handleNumber(handle);
    return value !== undefined && this.handles.delete(value);
  }

  *[Symbol.iterator](): Iterator<string> {
    for (const value of this.handles) yield String(value);
  }
}
