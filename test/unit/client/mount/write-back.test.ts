// The mount's write-back (client/mount/write-back.ts) over a fake cluster: closed files go out once
// the mount is quiet, at most WRITE_BACK_FILES_IN_FLIGHT at a time and with their bytes, mode and
// mtime; a file the cluster cannot be reached for stays pending and is sent later; a final failure
// is reported once by the directory's fsync; a write that meets a send under way is refused (it
// must go to the cluster's copy).

import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../../../../client/mount/byte-budget.js';
import { WRITE_BACK_FILES_IN_FLIGHT } from '../../../../client/mount/limits.js';
import { type PendingFile, WriteBack } from '../../../../client/mount/write-back.js';
import type { GfsClient } from '../../../../client/sdk/client.js';
import { GfsError } from '../../../../shared/errors.js';
import { createLogger } from '../../../../shared/log.js';

class FakeCluster {
  readonly files = new Map<string, { data: Buffer; mode: number; mtimeMs?: number }>();
  inFlight = 0;
  inFlightMax = 0;
  /** Paths whose next sends fail with this error (shifted per attempt). */
  readonly failures = new Map<string, GfsError[]>();
  /** How long each write takes, so sends overlap. */
  writeMs = 5;

  readonly client = {
    openOrCreate: async (path: string, options: { mode?: number }) => {
      this.inFlight += 1;
      this.inFlightMax = Math.max(this.inFlightMax, this.inFlight);
      const failure = this.failures.get(path)?.shift();
      if (failure !== undefined) {
        this.inFlight -= 1;
        throw failure;
      }
      const created = !this.files.has(path);
      if (created) this.files.set(path, { data: Buffer.alloc(0), mode: options.mode ?? 0o644 });
      const handle = {
        writeWhole: async (data: Uint8Array) => {
          await new Promise((resolve) => setTimeout(resolve, this.writeMs));
          const file = this.files.get(path);
          if (file !== undefined) file.data = Buffer.from(data);
          this.inFlight -= 1;
        },
      };
      return { handle, entry: { path, size: 0, mode: options.mode ?? 0o644 }, created };
    },
    truncate: async () => undefined,
    rm: async (path: string) => {
      this.files.delete(path);
    },
    chmod: async (path: string, mode: number) => {
      const file = this.files.get(path);
      if (file !== undefined) file.mode = mode;
    },
    utimes: async (path: string, mtimeMs: number) => {
      const file = this.files.get(path);
      if (file !== undefined) file.mtimeMs = mtimeMs;
    },
  } as unknown as GfsClient;
}

function writeBack(cluster: FakeCluster, sent: PendingFile[] = []): WriteBack {
  return new WriteBack({
    client: cluster.client,
    budget: new ByteBudget(64 * 1024 * 1024),
    now: Date.now,
    log: createLogger({ role: 'test' }, { level: 'silent' }),
    owner: 'alice',
    group: 'staff',
    onSent: (file) => sent.push(file),
  });
}

async function closedFile(wb: WriteBack, path: string, text: string, mode = 0o644): Promise<PendingFile> {
  const file = wb.create(path, mode, undefined);
  const fd = wb.open(file);
  expect(await wb.write(file, Buffer.from(text), 0)).toBe(true);
  wb.release(fd);
  return file;
}

function until(condition: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (condition()) resolve();
      else if (Date.now() > deadline) reject(new Error('timed out'));
      else setTimeout(check, 10);
    };
    check();
  });
}

describe('WriteBack', () => {
  it('sends closed files once the mount is quiet, with their bytes, mode and mtime, a few at a time', async () => {
    const cluster = new FakeCluster();
    const wb = writeBack(cluster);
    for (let i = 0; i < 40; i++) await closedFile(wb, `/d/f${i}`, `file ${i}`);
    const chmodded = wb.file('/d/f1') as PendingFile;
    wb.chmod(chmodded, 0o400);
    wb.setMtime(chmodded, 1_234_000);
    expect(wb.entry(chmodded)).toMatchObject({ size: 6, mode: 0o400, mtimeMs: 1_234_000, owner: 'alice' });
    expect(cluster.files.size).toBe(0);
    await until(() => wb.pendingCount === 0);
    expect(cluster.files.size).toBe(40);
    expect(cluster.files.get('/d/f39')?.data.toString()).toBe('file 39');
    // Created writable for the write, then given its mode; the mtime set after the write.
    expect(cluster.files.get('/d/f1')).toMatchObject({ mode: 0o400, mtimeMs: 1_234_000 });
    expect(cluster.inFlightMax).toBeGreaterThan(1);
    expect(cluster.inFlightMax).toBeLessThanOrEqual(WRITE_BACK_FILES_IN_FLIGHT);
    wb.stop();
  });

  it('a file the cluster cannot be reached for stays pending, and fsync of its directory reports it until it lands', async () => {
    const cluster = new FakeCluster();
    const wb = writeBack(cluster);
    cluster.failures.set('/d/a', [new GfsError('UNAVAILABLE', 'cannot reach server', 'http://m')]);
    await closedFile(wb, '/d/a', 'kept');
    await expect(wb.syncDir('/d')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(wb.file('/d/a')?.state).toBe('local');
    // Asked again, it is sent now.
    await wb.syncDir('/d');
    expect(cluster.files.get('/d/a')?.data.toString()).toBe('kept');
    expect(wb.pendingCount).toBe(0);
    wb.stop();
  });

  it('a final failure is reported once, by the next fsync of its directory', async () => {
    const cluster = new FakeCluster();
    const sent: PendingFile[] = [];
    const wb = writeBack(cluster, sent);
    cluster.failures.set('/d/refused', [new GfsError('PERMISSION_DENIED', 'permission denied', '/d/refused')]);
    await closedFile(wb, '/d/refused', 'x');
    await closedFile(wb, '/d/fine', 'y');
    await until(() => wb.pendingCount === 0);
    expect(sent.map((file) => `${file.path} ${file.state}`).sort()).toEqual(['/d/fine sent', '/d/refused failed']);
    await expect(wb.syncDir('/d')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await wb.syncDir('/d');
    expect(cluster.files.has('/d/refused')).toBe(false);
    wb.stop();
  });

  it('a write that meets the file being sent is refused, so it goes to the cluster', async () => {
    const cluster = new FakeCluster();
    cluster.writeMs = 50;
    const wb = writeBack(cluster);
    const file = wb.create('/d/open', 0o644, undefined);
    const fd = wb.open(file);
    expect(await wb.write(file, Buffer.from('first'), 0)).toBe(true);
    const sending = wb.send(file);
    expect(await wb.write(file, Buffer.from('second'), 5)).toBe(false);
    expect(await wb.truncate(file, 1)).toBe(false);
    await sending;
    expect(cluster.files.get('/d/open')?.data.toString()).toBe('first');
    wb.release(fd);
    wb.stop();
  });

  it('a file unlinked while being sent is hidden at once and removed at the master once sent; fsync of its directory waits for that', async () => {
    const cluster = new FakeCluster();
    cluster.writeMs = 100;
    const wb = writeBack(cluster);
    const file = await closedFile(wb, '/d/gone', 'bytes');
    const sending = wb.send(file);
    expect(file.state).toBe('sending');
    wb.removeAfterSend(file);
    expect(wb.file('/d/gone')).toBeUndefined();
    expect(wb.pendingIn('/d')).toEqual([]);
    expect(wb.removal('/d/gone')).toBeDefined();
    await wb.syncDir('/d');
    expect(cluster.files.has('/d/gone')).toBe(false);
    expect(wb.removal('/d/gone')).toBeUndefined();
    await sending;
    wb.stop();
  });

  it('unsent files can be dropped, read back, grown with zeros and cut', async () => {
    const cluster = new FakeCluster();
    const wb = writeBack(cluster);
    const file = await closedFile(wb, '/d/g', 'abc');
    expect(await wb.write(file, Buffer.from('Z'), 5)).toBe(true);
    const into = Buffer.alloc(10);
    expect(wb.read(file, into, 0)).toBe(6);
    expect(into.subarray(0, 6)).toEqual(Buffer.from('abc\0\0Z'));
    expect(await wb.truncate(file, 2)).toBe(true);
    expect(wb.entry(file).size).toBe(2);
    wb.drop(file);
    expect(wb.file('/d/g')).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(cluster.files.size).toBe(0);
    wb.stop();
  });
});
