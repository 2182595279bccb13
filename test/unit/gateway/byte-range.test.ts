// The gateway's Range header parsing (RFC 9110 §14): each shape a client sends, the edges of the
// file, and what is ignored (another unit, several ranges, nonsense) rather than refused.

import { describe, expect, it } from 'vitest';
import { parseRange } from '../../../gateway/byte-range.js';

const partial = (start: number, end: number) => ({ kind: 'partial', range: { start, end } });

describe('parseRange', () => {
  it('serves the whole file without a header', () => {
    expect(parseRange(undefined, 100)).toEqual({ kind: 'whole' });
  });

  it('reads bytes=a-b, clamping b to the end', () => {
    expect(parseRange('bytes=0-0', 100)).toEqual(partial(0, 0));
    expect(parseRange('bytes=10-19', 100)).toEqual(partial(10, 19));
    expect(parseRange('bytes=90-1000', 100)).toEqual(partial(90, 99));
  });

  it('reads bytes=a- to the end and bytes=-n as the last n bytes', () => {
    expect(parseRange('bytes=95-', 100)).toEqual(partial(95, 99));
    expect(parseRange('bytes=-10', 100)).toEqual(partial(90, 99));
    expect(parseRange('bytes=-1000', 100)).toEqual(partial(0, 99));
  });

  it('is unsatisfiable past the end, for an empty suffix, and on an empty file', () => {
    expect(parseRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=100-200', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-5', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
  });

  it('ignores what it does not serve: other units, several ranges, malformed or reversed ranges', () => {
    for (const header of ['items=0-1', 'bytes=0-1,5-6', 'bytes=a-b', 'bytes=-', 'bytes=9-3', 'bytes 0-1']) {
      expect(parseRange(header, 100), header).toEqual({ kind: 'whole' });
    }
  });
});
