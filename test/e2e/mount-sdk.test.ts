// The SDK calls `gfs mount` is built on for speed, against a real 3-chunkserver cluster (1 MiB
// chunks): openOrCreate (one master call for a new file, with its mode; a file that exists is left
// as it is) and writes whose length is recorded once for many (writeUnrecorded + recordLength).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GfsClient } from '../../index.js';
import { seededBytes, sha256 } from '../harness/bytes.js';
import { TestCluster } from '../harness/cluster.js';
import { codeOfAsync } from '../harness/error-code.js';

const KiB = 1024;
const MiB = 1024 * KiB;

let cluster: TestCluster;
let client: GfsClient;
let other: GfsClient;

beforeAll(async () => {
  cluster = await TestCluster.start({ chunkSize: '1MiB' });
  client = new GfsClient({ master: cluster.masterUrl });
  other = new GfsClient({ master: cluster.masterUrl });
});

afterAll(async () => {
  await client?.close();
  await other?.close();
  await cluster?.stop();
});

describe('SDK calls of the mount', () => {
  it('openOrCreate makes a new file with its mode, opens one that exists untouched, refuses a directory', async () => {
    const made = await client.openOrCreate('/made', { mode: 0o600 });
    expect(made.created).toBe(true);
    expect(made.entry).toMatchObject({ path: '/made', type: 'file', size: 0, mode: 0o600 });
    expect(await made.handle.write('new bytes', 0)).toBe(9);
    expect((await other.readFile('/made')).toString()).toBe('new bytes');

    await other.writeFile('/existing', 'kept as it is');
    await other.chmod('/existing', 0o640);
    const opened = await client.openOrCreate('/existing', { mode: 0o600 });
    expect(opened.created).toBe(false);
    expect(opened.entry).toMatchObject({ size: 13, mode: 0o640 });
    expect((await opened.handle.read(100, 0)).toString()).toBe('kept as it is');

    await client.mkdir('/dir');
    expect(await codeOfAsync(client.openOrCreate('/dir'))).toBe('IS_A_DIRECTORY');
    expect(await codeOfAsync(client.openOrCreate('/made', { mode: 0o10000 }))).toBe('INVALID_ARGUMENT');
  });

  it('writeUnrecorded lands the bytes; others see them once recordLength has run', async () => {
    const { handle } = await client.openOrCreate('/scattered');
    const data = seededBytes(3 * MiB + 5, 41);
    // Pieces out of order, across chunk boundaries, none of them recorded yet.
    for (const [from, to] of [
      [2 * MiB - 3 * KiB, 3 * MiB + 5],
      [0, 700 * KiB],
      [700 * KiB, 2 * MiB - 3 * KiB],
    ] as const) {
      await handle.writeUnrecorded(data.subarray(from, to), from);
    }
    expect((await other.stat('/scattered')).size).toBe(0);
    const mtimeBefore = (await other.stat('/scattered')).mtimeMs;
    await handle.recordLength(3 * MiB + 5);
    const entry = await other.stat('/scattered');
    expect(entry.size).toBe(3 * MiB + 5);
    expect(entry.mtimeMs).toBeGreaterThanOrEqual(mtimeBefore);
    expect(sha256(await other.readFile('/scattered'))).toBe(sha256(data));
    // A record never shrinks the file; the handle reads what it wrote.
    await handle.recordLength(10);
    expect((await other.stat('/scattered')).size).toBe(3 * MiB + 5);
    expect((await handle.read(5, 3 * MiB)).equals(data.subarray(3 * MiB))).toBe(true);
    // Not for append handles, nor read-only ones.
    const appending = await client.open('/scattered', 'a');
    expect(await codeOfAsync(appending.writeUnrecorded(Buffer.from('x'), 0))).toBe('INVALID_ARGUMENT');
    const reading = await client.open('/scattered', 'r');
    expect(await codeOfAsync(reading.recordLength(1))).toBe('INVALID_ARGUMENT');
  });
});
