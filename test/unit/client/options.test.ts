// Option-value parsers: `--rebalance-threshold` takes percentage points, whole or decimal, in (0, 100];
// master and advertised addresses; defaults shown in the unit one would type.

import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { advertiseOption, masterOption, percentOption } from '../../../client/cli/options.js';
import { formatDurationExact, formatSizeExact, parseDuration, parseSize } from '../../../shared/units.js';

describe('percentOption', () => {
  it('takes whole and decimal percentage points up to 100', () => {
    expect(percentOption('10')).toBe(10);
    expect(percentOption('2.5')).toBe(2.5);
    expect(percentOption('100')).toBe(100);
  });

  it('refuses 0, more than 100, signs, units and exponents as usage errors', () => {
    for (const text of ['0', '0.0', '100.5', '-5', '+5', '10%', '1e1', 'ten', '']) {
      expect(() => percentOption(text), text).toThrow(InvalidArgumentError);
    }
  });
});

describe('masterOption', () => {
  it('takes a URL or host:port and gives a URL', () => {
    expect(masterOption('http://10.0.0.1:7070')).toBe('http://10.0.0.1:7070');
    expect(masterOption('10.0.0.1:7070/')).toBe('http://10.0.0.1:7070');
    expect(masterOption('https://m.example:443')).toBe('https://m.example:443');
  });

  it('refuses what is not one address', () => {
    for (const text of ['', 'http://', 'ftp://m:1', 'http://m:1/api', 'http://m:99999', 'a b', 'http://m:1?x']) {
      expect(() => masterOption(text), text).toThrow(InvalidArgumentError);
    }
  });
});

describe('advertiseOption', () => {
  it('takes host, host:port and bracketed IPv6', () => {
    for (const text of ['10.0.0.2', '10.0.0.2:7071', 'cs1.example', '[fd00::2]:7071']) {
      expect(advertiseOption(text)).toBe(text);
    }
  });

  it('refuses bare IPv6, bad ports and URLs', () => {
    for (const text of ['', 'fd00::2', '10.0.0.2:0', '10.0.0.2:70000', 'http://10.0.0.2:7071', 'a b:1']) {
      expect(() => advertiseOption(text), text).toThrow(InvalidArgumentError);
    }
  });
});

describe('defaults in help', () => {
  it('are written in the unit one would type, and read back the same', () => {
    for (const [ms, text] of [
      [10_000, '10s'],
      [60_000, '1m'],
      [259_200_000, '3d'],
      [1500, '1500ms'],
      [0, '0'],
    ] as const) {
      expect(formatDurationExact(ms)).toBe(text);
      expect(parseDuration(text)).toBe(ms);
    }
    for (const [bytes, text] of [
      [67_108_864, '64MiB'],
      [16 * 1024 ** 2, '16MiB'],
      [1536, '1536'],
      [0, '0'],
    ] as const) {
      expect(formatSizeExact(bytes)).toBe(text);
      expect(parseSize(text)).toBe(bytes);
    }
  });
});
