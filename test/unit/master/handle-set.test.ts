// The registry's handle sets keep chunk handles as numbers but behave as sets of the decimal
// strings; strings that no handle could be (leading zeros, beyond 2^53) are never members.

import { describe, expect, it } from 'vitest';
import { HandleSet, handleNumber } from '../../../master/chunkservers/handle-set.js';
import { ChunkserverRegistry } from '../../../master/chunkservers/registry.js';

describe('handle sets', () => {
  it('behave as sets of decimal handle strings', () => {
    const set = new HandleSet();
    set.add('1').add('42').add('42').add('9007199254740991');
    expect(set.size).toBe(3);
    expect(set.has('42')).toBe(true);
    expect(set.has('042')).toBe(false);
    expect([...set]).toEqual(['1', '42', '9007199254740991']);
    expect(set.delete('42')).toBe(true);
    expect(set.delete('42')).toBe(false);
    expect([...set]).toEqual(['1', '9007199254740991']);
  });

  it('keeps thousands of handles across pages and word boundaries', () => {
    const set = new HandleSet();
    for (let handle = 1; handle <= 3_000; handle++) set.add(String(handle));
    for (let handle = 2; handle <= 3_000; handle += 2) expect(set.delete(String(handle))).toBe(true);
    expect(set.size).toBe(1_500);
    expect([...set]).toEqual(Array.from({ length: 1_500 }, (_, i) => String(2 * i + 1)));
    expect(set.has('31')).toBe(true);
    expect(set.has('32')).toBe(false);
    expect(set.has('1023')).toBe(true);
    expect(set.has('1024')).toBe(false);
    for (let handle = 1; handle <= 3_000; handle += 2) set.delete(String(handle));
    expect(set.size).toBe(0);
    expect([...set]).toEqual([]);
  });

  it('only canonical handles map to numbers', () => {
    expect(handleNumber('7')).toBe(7);
    for (const text of ['', '0', '007', '-1', '1.5', '1e3', '9007199254740993', 'abc']) {
      expect(handleNumber(text), text).toBeUndefined();
    }
  });

  it('the registry shares holder lists and forgets non-canonical handles', () => {
    const registry = new ChunkserverRegistry(() => 0, 10_000);
    for (const id of ['cs1', 'cs2']) {
      registry.register({ id, address: `${id}:1`, rack: '', capacityBytes: 1, usedBytes: 0 });
    }
    for (const handle of ['1', '2']) {
      registry.addLocation(handle, 'cs1');
      registry.addLocation(handle, 'cs2');
    }
    expect([...registry.holderIds('1')]).toEqual(['cs1', 'cs2']);
    registry.removeLocation('1', 'cs1');
    expect([...registry.holderIds('1')]).toEqual(['cs2']);
    expect([...registry.holderIds('2')]).toEqual(['cs1', 'cs2']);
    expect(registry.servers.get('cs1')?.chunks.size).toBe(1);
    // A report naming "01" is not chunk 1.
    registry.removeLocation('01', 'cs2');
    expect(registry.hasAnyHolder('1')).toBe(true);
    registry.removeLocation('1', 'cs2');
    expect(registry.hasAnyHolder('1')).toBe(false);
  });
});
