// Helpers shared by the chunkserver tests.

import { expect } from 'vitest';
import { GfsError } from '../../../shared/errors.js';

/** The GfsError code an action fails with, or undefined when it succeeds. */
export async function codeOf(action: Promise<unknown>): Promise<string | undefined> {
  try {
    await action;
  } catch (error) {
    return error instanceof GfsError ? error.code : `not a GfsError: ${String(error)}`;
  }
  return undefined;
}

/** Buffer equality without vitest's element-wise diff (slow on large buffers). */
export function expectBytes(actual: Buffer, expected: Buffer): void {
  expect(actual.length).toBe(expected.length);
  const firstDifference = actual.findIndex((byte, i) => byte !== expected[i]);
  expect(firstDifference).toBe(-1);
}

/** Deterministic bytes (no unseeded randomness in tests). */
export function pattern(length: number, seed: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}
