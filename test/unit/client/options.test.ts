// Option-value parsers: `--rebalance-threshold` takes percentage points, whole or decimal, in (0, 100].

import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { percentOption } from '../../../client/cli/options.js';

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
