// Chunk handles as the registry keeps them: numbers, not strings. A master with a million chunks
// on three replicas holds four references to every handle in its registry (the location table and
// three servers' chunk sets); as strings each report brought its own 24-byte copy, and a set entry
// costs ~20 bytes more (docs/benchmarks.md, "Master"). The location table keys numbers; a server's
// set is a paged bitmap. The API stays the decimal strings the rest of the master and the protocol
// use.

import { assert } from '../../shared/assert.js';

/** Digits of the largest handle that fits a double exactly (2^53 − 1 has 16). */
const HANDLE_DIGITS_MAX = 16;
const DIGIT_0 = 48;
const DIGIT_9 = 57;

/**
 * The handle as a number, or undefined when it is no handle the master could have made (not a
 * canonical positive decimal, or past 2^53). A character loop, not a regex: the health scan asks
 * this for every chunk.
 */
export function handleNumber(handle: string): number | undefined {
  const length = handle.length;
  if (length === 0 || length > HANDLE_DIGITS_MAX || handle.charCodeAt(0) === DIGIT_0) return undefined;
  for (let i = 0; i < length; i++) {
    const code = handle.charCodeAt(i);
    if (code < DIGIT_0 || code > DIGIT_9) return undefined;
  }
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

/** Handles per page of the bitmap: a page is 32 words of 32 bits, plus its population count. */
const PAGE_HANDLES = 1_024;
const PAGE_WORDS = PAGE_HANDLES / 32;

/**
 * A set of handles as a paged bitmap: handles are handed out from a counter, so the chunks one
 * server holds are dense runs of numbers, and a bit each (~0.3 bytes a handle with the page's
 * overhead) replaces a set entry each (~20 bytes). Iterating yields the handles as strings again,
 * page by page in the order pages were first used.
 */
export class HandleSet implements ChunkHandleSet {
  /** Page number → its words; word PAGE_WORDS holds how many bits the page has set. */
  private readonly pages = new Map<number, Uint32Array>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(handle: string): boolean {
    const value = handleNumber(handle);
    if (value === undefined) return false;
    const page = this.pages.get(Math.floor(value / PAGE_HANDLES));
    const bit = value % PAGE_HANDLES;
    return page !== undefined && ((page[bit >>> 5] as number) & (1 << (bit & 31))) !== 0;
  }

  add(handle: string): this {
    const value = handleNumber(handle);
    assert(value !== undefined, `a chunk handle is a canonical decimal number (${handle})`);
    const index = Math.floor(value / PAGE_HANDLES);
    let page = this.pages.get(index);
    if (page === undefined) {
      page = new Uint32Array(PAGE_WORDS + 1);
      this.pages.set(index, page);
    }
    const bit = value % PAGE_HANDLES;
    const word = bit >>> 5;
    const mask = 1 << (bit & 31);
    if (((page[word] as number) & mask) !== 0) return this;
    page[word] = (page[word] as number) | mask;
    page[PAGE_WORDS] = (page[PAGE_WORDS] as number) + 1;
    this.count++;
    return this;
  }

  delete(handle: string): boolean {
    const value = handleNumber(handle);
    if (value === undefined) return false;
    const index = Math.floor(value / PAGE_HANDLES);
    const page = this.pages.get(index);
    const bit = value % PAGE_HANDLES;
    const word = bit >>> 5;
    const mask = 1 << (bit & 31);
    if (page === undefined || ((page[word] as number) & mask) === 0) return false;
    page[word] = (page[word] as number) & ~mask;
    page[PAGE_WORDS] = (page[PAGE_WORDS] as number) - 1;
    if (page[PAGE_WORDS] === 0) this.pages.delete(index);
    this.count--;
    return true;
  }

  *[Symbol.iterator](): Iterator<string> {
    for (const [index, page] of this.pages) {
      for (let word = 0; word < PAGE_WORDS; word++) {
        let bits = page[word] as number;
        while (bits !== 0) {
          const lowest = bits & -bits;
          yield String(index * PAGE_HANDLES + word * 32 + (31 - Math.clz32(lowest)));
          bits ^= lowest;
        }
      }
    }
  }
}
