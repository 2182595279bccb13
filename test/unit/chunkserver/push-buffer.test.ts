import { afterEach, describe, expect, it } from 'vitest';
import { PushBuffer } from '../../../chunkserver/push/push-buffer.js';
import { codeOf } from './helpers.js';

describe('PushBuffer', () => {
  let buffer: PushBuffer | undefined;

  afterEach(() => {
    buffer?.close();
    buffer = undefined;
  });

  it('bounds reserved bytes and frees them when a write releases its claim', async () => {
    buffer = new PushBuffer({ bytesMax: 100 });
    buffer.reserve(60);
    expect(await codeOf(Promise.resolve().then(() => buffer?.reserve(41)))).toBe('BUSY');
    buffer.put('data-0001', { pieces: [Buffer.alloc(60)], bytes: 60, crc32c: 0 });
    expect(await codeOf(Promise.resolve().then(() => buffer?.claim('data-0001', 59)))).toBe('INVALID_ARGUMENT');
    const claimed = buffer.claim('data-0001', 60);
    expect(buffer.has('data-0001')).toBe(false);
    expect(buffer.bytes).toBe(60);
    claimed.release();
    claimed.release();
    expect(buffer.bytes).toBe(0);
    expect(await codeOf(Promise.resolve().then(() => buffer?.claim('data-0001', 60)))).toBe('DATA_NOT_FOUND');
  });

  it('drops entries nobody used within the TTL', () => {
    let nowMs = 1_000;
    buffer = new PushBuffer({ bytesMax: 100, ttlMs: 500, now: () => nowMs });
    buffer.reserve(10);
    buffer.put('data-0002', { pieces: [Buffer.alloc(10)], bytes: 10, crc32c: 0 });
    nowMs += 499;
    buffer.expire();
    expect(buffer.has('data-0002')).toBe(true);
    nowMs += 1;
    buffer.expire();
    expect(buffer.has('data-0002')).toBe(false);
    expect(buffer.bytes).toBe(0);
  });
});
