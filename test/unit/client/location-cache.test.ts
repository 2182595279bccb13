import { describe, expect, it } from 'vitest';
import { LocationCache } from '../../../client/sdk/location-cache.js';

const chunk = (handle: string) => ({ handle, version: 1, replicas: ['a:1', 'b:2'] });

describe('LocationCache', () => {
  it('never holds more than its bound, evicting the least recently used file first', () => {
    const cache = new LocationCache({ entriesMax: 4, ttlMs: 1_000 });
    cache.set('/a', 0, chunk('1'));
    cache.set('/a', 1, chunk('2'));
    cache.set('/b', 0, chunk('3'));
    cache.get('/a', 0);
    cache.set('/c', 0, chunk('4'));
    cache.set('/c', 1, chunk('5'));
    expect(cache.size).toBeLessThanOrEqual(4);
    expect(cache.get('/b', 0)).toBeUndefined();
    expect(cache.get('/a', 1)?.handle).toBe('2');
    expect(cache.get('/c', 1)?.handle).toBe('5');
    for (let i = 0; i < 100; i++) cache.set('/big', i, chunk(String(i)));
    expect(cache.size).toBe(4);
    expect(cache.get('/big', 99)?.handle).toBe('99');
  });

  it('forgets entries older than the TTL', () => {
    let now = 0;
    const cache = new LocationCache({ entriesMax: 10, ttlMs: 100, now: () => now });
    cache.set('/a', 0, chunk('1'));
    now = 99;
    expect(cache.get('/a', 0)?.handle).toBe('1');
    now = 100;
    expect(cache.get('/a', 0)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('invalidates one chunk, one file, or a whole tree', () => {
    const cache = new LocationCache({ entriesMax: 10, ttlMs: 1_000 });
    cache.set('/d/x', 0, chunk('1'));
    cache.set('/d/x', 1, chunk('2'));
    cache.set('/d/y/z', 0, chunk('3'));
    cache.set('/dz', 0, chunk('4'));
    cache.invalidate('/d/x', 0);
    expect(cache.get('/d/x', 0)).toBeUndefined();
    expect(cache.get('/d/x', 1)?.handle).toBe('2');
    cache.invalidatePath('/d', true);
    expect(cache.get('/d/x', 1)).toBeUndefined();
    expect(cache.get('/d/y/z', 0)).toBeUndefined();
    expect(cache.get('/dz', 0)?.handle).toBe('4');
    expect(cache.size).toBe(1);
  });
});
