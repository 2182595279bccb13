import { describe, expect, it } from 'vitest';
import { GfsError } from '../../../shared/errors.js';
import { parseDuration, parseSize } from '../../../shared/units.js';

describe('parseSize', () => {
  it('reads the DESIGN §7 forms in binary units', () => {
    expect(parseSize('4096')).toBe(4096);
    expect(parseSize('64KiB')).toBe(65536);
    expect(parseSize('1MiB')).toBe(1048576);
    expect(parseSize('64M')).toBe(64 * 1048576);
    expect(parseSize('1G')).toBe(1073741824);
  });

  it('refuses what is not a size', () => {
    for (const bad of ['', 'abc', '-1', '1X', '1.5.5M']) expect(() => parseSize(bad)).toThrow(GfsError);
  });
});

describe('parseDuration', () => {
  it('reads ms, s, m, h and d', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('3d')).toBe(3 * 86_400_000);
    // A bare zero is unambiguous (`--trash-retention 0`: delete at once).
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('0s')).toBe(0);
  });

  it('refuses bare numbers and unknown units', () => {
    for (const bad of ['10', '1y', 's', '']) expect(() => parseDuration(bad)).toThrow(GfsError);
  });
});
