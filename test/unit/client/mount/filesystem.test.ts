// GfsMountFs over a fake cluster that records every call: which master and data calls each FUSE
// operation makes (the create → open path, an open of a name another client just made), and that
// the last close gives the memory of what was read back.

import { describe, expect, it } from 'vitest';
import { GfsMountFs } from '../../../../client/mount/filesystem.js';
import type { GfsClient } from '../../../../client/sdk/client.js';
import type { GfsFileHandle } from '../../../../client/sdk/file-handle.js';
import { GfsError } from '../../../../shared/errors.js';
import type { Entry } from '../../../../shared/protocol/namespace.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const S_IFREG = 0o100000;
const O_WRONLY = 0o1;
const O_TRUNC = 0o1000;

/** Files in memory; `calls` lists every call as `name path [details]`. */
class FakeCluster {
  readonly files = new Map<string, { data: Buffer; mode: number; lengthBytes: number }>();
  readonly calls: string[] = [];

  readonly client = {
    stat: async (path: string) => this.entry(path, 'stat'),
    lookup: async (path: string) => (this.files.has(path) ? this.entry(path, 'stat') : undefined),
    open: async (path: string, mode: string) => {
      const entry = this.entry(path, `open ${mode}`);
      return this.handle(entry.path);
    },
    openOrCreate: async (path: string, options: { mode?: number; reserveChunk?: boolean }) => {
      const created = !this.files.has(path);
      const reserve = created && options.reserveChunk === true ? ' reserving a chunk' : '';
      this.calls.push(
        `openOrCreate ${path} ${created ? `created ${(options.mode ?? 0o644).toString(8)}` : 'existed'}${reserve}`,
      );
      if (created) this.files.set(path, { data: Buffer.alloc(0), mode: options.mode ?? 0o644, lengthBytes: 0 });
      return { handle: this.handle(path), entry: this.view(path), created };
    },
    truncate: async (path: string, lengthBytes: number) => {
      this.calls.push(`truncate ${path} ${lengthBytes}`);
      const file = this.file(path);
      file.data = file.data.subarray(0, lengthBytes);
      file.lengthBytes = lengthBytes;
    },
  } as unknown as GfsClient;

  write(path: string, data: Buffer): void {
    this.files.set(path, { data, mode: 0o644, lengthBytes: data.byteLength });
  }

  private handle(path: string): GfsFileHandle {
    return {
      readInto: async (into: Buffer, position: number) => {
        this.calls.push(`read ${path} ${position}+${into.byteLength}`);
        const { data } = this.file(path);
        return position >= data.byteLength ? 0 : data.copy(into, 0, position);
      },
      writeUnrecorded: async (data: Buffer, position: number) => {
        this.calls.push(`write ${path} ${position}+${data.byteLength}`);
        const file = this.file(path);
        const grown = Buffer.alloc(Math.max(file.data.byteLength, position + data.byteLength));
        file.data.copy(grown);
        data.copy(grown, position);
        file.data = grown;
      },
      writeWhole: async (data: Buffer) => {
        this.calls.push(`writeWhole ${path} ${data.byteLength}`);
        const file = this.file(path);
        file.data = Buffer.from(data);
        file.lengthBytes = Math.max(file.lengthBytes, data.byteLength);
      },
      recordLength: async (endBytes: number) => {
        this.calls.push(`recordLength ${path} ${endBytes}`);
        const file = this.file(path);
        file.lengthBytes = Math.max(file.lengthBytes, endBytes);
      },
      sync: async () => undefined,
    } as unknown as GfsFileHandle;
  }

  private file(path: string) {
    const file = this.files.get(path);
    if (file === undefined) throw new GfsError('NOT_FOUND', 'no such file', path);
    return file;
  }

  private entry(path: string, call: string): Entry {
    this.calls.push(`${call} ${path}`);
    return this.view(path);
  }

  private view(path: string): Entry {
    const file = this.file(path);
    return {
      name: path.slice(path.lastIndexOf('/') + 1),
      path,
      type: 'file',
      size: file.lengthBytes,
      chunks: 0,
      replication: 3,
      mtime: new Date(0).toISOString(),
      mtimeMs: 0,
      mode: file.mode,
      owner: 'root',
      group: 'root',
    };
  }
}

function mounted(cluster: FakeCluster): GfsMountFs {
  return new GfsMountFs(cluster.client, { readOnly: false, owner: { uid: 0, gid: 0 }, chunkSizeBytes: 64 * MiB });
}

describe('GfsMountFs', () => {
  it('creates a file with its mode in one call, and its open, O_TRUNC and writes ask the master nothing more', async () => {
    const cluster = new FakeCluster();
    const fs = mounted(cluster);
    await fs.mknod('/f', S_IFREG | 0o600);
    expect((await fs.getattr('/f')).mode).toBe(S_IFREG | 0o600);
    const fd = await fs.open('/f', O_WRONLY | O_TRUNC);
    await fs.ftruncate(fd, 0);
    await fs.write(fd, Buffer.from('hel'), 3, 0);
    await fs.write(fd, Buffer.from('lo'), 2, 3);
    await fs.flush(fd);
    await fs.release(fd);
    // Written whole before its first close: bytes and length in one call (the reserved chunk's).
    expect(cluster.calls).toEqual(['openOrCreate /f created 600 reserving a chunk', 'writeWhole /f 5']);
    expect(cluster.files.get('/f')?.data.toString()).toBe('hello');
  });

  it('writes the usual way what is not a whole file at its first flush', async () => {
    const cluster = new FakeCluster();
    const fs = mounted(cluster);
    await fs.mknod('/f', S_IFREG | 0o644);
    const fd = await fs.open('/f', O_WRONLY);
    await fs.write(fd, Buffer.from('hello'), 5, 0);
    await fs.flush(fd);
    // Already flushed once: the next flush sends ranges and records the length.
    await fs.write(fd, Buffer.from('!'), 1, 5);
    await fs.flush(fd);
    await fs.release(fd);
    // A range not at offset 0 is no whole file either.
    await fs.mknod('/g', S_IFREG | 0o644);
    const other = await fs.open('/g', O_WRONLY);
    await fs.write(other, Buffer.from('x'), 1, 10);
    await fs.release(other);
    expect(cluster.calls.filter((call) => !call.startsWith('openOrCreate'))).toEqual([
      'writeWhole /f 5',
      'write /f 5+1',
      'recordLength /f 6',
      'write /g 10+1',
      'recordLength /g 11',
    ]);
    expect(cluster.files.get('/f')?.data.toString()).toBe('hello!');
  });

  it('opens a name another client made between the lookup and the create afresh, and truncates it', async () => {
    const cluster = new FakeCluster();
    const fs = mounted(cluster);
    cluster.write('/f', Buffer.from('written elsewhere'));
    await fs.mknod('/f', S_IFREG | 0o644);
    const fd = await fs.open('/f', O_WRONLY | O_TRUNC);
    expect(cluster.calls).toEqual(['openOrCreate /f existed', 'stat /f', 'open r+ /f']);
    await fs.ftruncate(fd, 0);
    await fs.release(fd);
    expect(cluster.calls.at(-1)).toBe('truncate /f 0');
    expect(cluster.files.get('/f')?.data.byteLength).toBe(0);
  });

  it('gives the memory of what was read back at the last close', async () => {
    const cluster = new FakeCluster();
    const fs = mounted(cluster);
    const content = Buffer.alloc(8 * MiB, 7);
    cluster.write('/big', content);
    const first = await fs.open('/big', 0);
    const second = await fs.open('/big', 0);
    const buffer = Buffer.alloc(4 * KiB);
    for (const offset of [5 * MiB, 1 * MiB, 3 * MiB]) {
      expect(await fs.read(first, buffer, 4 * KiB, offset)).toBe(4 * KiB);
    }
    expect(fs.bufferedBytes).toBe(3 * 128 * KiB);
    await fs.release(first);
    // Still open through the second descriptor: the granules stay and serve it.
    const reads = cluster.calls.length;
    expect(await fs.read(second, buffer, 4 * KiB, 1 * MiB + 8 * KiB)).toBe(4 * KiB);
    expect(cluster.calls.length).toBe(reads);
    await fs.release(second);
    expect(fs.bufferedBytes).toBe(0);
  });
});
