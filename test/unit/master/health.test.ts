// The health scan on a hand-built state: goals of chunks shared by several files, trashed files,
// lost, under-replicated and corrupt chunks, and the corrupt replicas that may go.

import { describe, expect, it } from 'vitest';
import { ChunkserverRegistry } from '../../../master/chunkservers/registry.js';
import { HealthScanner, scanHealth } from '../../../master/replication/health.js';
import { createState, putEntry } from '../../../master/state/namespace-table.js';
import { isTrashPath, TRASH_ROOT } from '../../../master/state/trash.js';
import type { MasterState } from '../../../master/state/types.js';

const NOW = 1_000;

function setup(files: Record<string, { chunks: string[]; replication: number }>): {
  state: MasterState;
  registry: ChunkserverRegistry;
} {
  const state = createState(1024 * 1024);
  putEntry(state, TRASH_ROOT, { type: 'dir', mtimeMs: 0, mode: 0o755 });
  for (const [path, file] of Object.entries(files)) {
    putEntry(state, path, { type: 'file', length: 0, mtimeMs: 0, mode: 0o644, ...file });
    for (const handle of file.chunks) {
      const meta = state.chunks.get(handle);
      if (meta) meta.refcount++;
      else state.chunks.set(handle, { version: 4, refcount: 1 });
    }
  }
  const registry = new ChunkserverRegistry(() => NOW, 10_000);
  for (const id of ['cs1', 'cs2', 'cs3']) {
    registry.register({ id, address: `${id}:1`, rack: '', capacityBytes: 1e9, usedBytes: 0 });
  }
  return { state, registry };
}

describe('health scan', () => {
  it('gives a shared chunk the highest goal of its files and names a live file before a trashed one', () => {
    const { state, registry } = setup({
      [`${TRASH_ROOT}/x`]: { chunks: ['1'], replication: 3 },
      '/live': { chunks: ['1'], replication: 2 },
    });
    registry.addLocation('1', 'cs1');
    registry.addLocation('1', 'cs2');
    const health = scanHealth(state, registry, { now: NOW, isTrashed: isTrashPath, isBusy: () => false, listMax: 100 });
    expect(health.chunks).toBe(1);
    expect(health.underReplicated).toEqual([
      expect.objectContaining({ handle: '1', goal: 3, live: 2, path: '/live', index: 0, trashed: false }),
    ]);
  });

  it('checks trashed files too, and lists lost and corrupt chunks with exact counts', () => {
    const { state, registry } = setup({
      [`${TRASH_ROOT}/old`]: { chunks: ['5', '6'], replication: 2 },
      '/a': { chunks: ['7', '8'], replication: 1 },
    });
    registry.addLocation('6', 'cs1');
    registry.addLocation('7', 'cs1');
    registry.addLocation('8', 'cs2');
    registry.markCorrupt('8', 'cs3');
    registry.markCorrupt('7', 'cs2');
    registry.corrupt.mark('99', 'cs1');
    const health = scanHealth(state, registry, { now: NOW, isTrashed: isTrashPath, isBusy: () => false, listMax: 100 });
    expect(health.lost.map((c) => [c.handle, c.trashed])).toEqual([['5', true]]);
    expect(health.underReplicated.map((c) => c.handle)).toEqual(['6']);
    expect(health.counts).toEqual({ underReplicated: 1, lost: 1, corrupt: 0 });
    // 7 and 8 have their one replica: their corrupt copies may go; 99 is not in the table at all.
    expect(health.corruptResolved.sort()).toEqual(['7', '8', '99']);
  });

  it('counts a dead server’s replicas as gone, skips chunks being allocated, and bounds the lists', () => {
    const { state, registry } = setup({ '/a': { chunks: ['1', '2', '3', '4'], replication: 2 } });
    for (const handle of ['1', '2', '3', '4']) registry.addLocation(handle, 'cs1');
    const later = NOW + 10_001;
    const health = scanHealth(state, registry, {
      now: later,
      isTrashed: isTrashPath,
      isBusy: (h) => h === '3',
      listMax: 2,
    });
    // Chunk 3 is being allocated (busy, no location yet): not counted as lost.
    expect(health.counts).toEqual({ underReplicated: 0, lost: 3, corrupt: 0 });
    expect(health.lost.map((c) => c.handle)).toEqual(['1', '2']);
  });

  it('lists chunks above their goal for trimming, a shared chunk against the highest goal of its files', () => {
    const { state, registry } = setup({
      '/one': { chunks: ['1', '2'], replication: 1 },
      '/three': { chunks: ['2'], replication: 3 },
    });
    for (const id of ['cs1', 'cs2', 'cs3']) {
      registry.addLocation('1', id);
      registry.addLocation('2', id);
    }
    const options = { now: NOW, isTrashed: isTrashPath, isBusy: () => false, listMax: 100 };
    // Chunk 2 is shared: its goal is 3, which its 3 replicas meet.
    expect(scanHealth(state, registry, { ...options, overGoalMax: 10 }).overGoal).toEqual([{ handle: '1', goal: 1 }]);
    expect(scanHealth(state, registry, options).overGoal).toEqual([]);
  });
});

describe('health scan in slices', () => {
  function build(): { state: MasterState; registry: ChunkserverRegistry } {
    const files: Record<string, { chunks: string[]; replication: number }> = {};
    for (let i = 0; i < 60; i++) files[`/f${i}`] = { chunks: [String(2 * i + 1), String(2 * i + 2)], replication: 3 };
    files['/snap'] = { chunks: ['1', '3', '5'], replication: 2 };
    const built = setup(files);
    // Every third chunk on three servers, the others on one or none.
    for (let handle = 1; handle <= 120; handle++) {
      const servers = handle % 3 === 0 ? ['cs1', 'cs2', 'cs3'] : handle % 3 === 1 ? ['cs2'] : [];
      for (const id of servers) built.registry.addLocation(String(handle), id);
    }
    return built;
  }
  const options = { now: NOW, isTrashed: isTrashPath, isBusy: () => false, listMax: 1000 };

  it('comes to the same result as the whole scan, a few entries per step', () => {
    const { state, registry } = build();
    const whole = scanHealth(state, registry, options);
    const scanner = new HealthScanner(state, registry, options, 7);
    let steps = 1;
    while (!scanner.step()) steps++;
    expect(steps).toBeGreaterThan(10);
    expect(scanner.result).toEqual(whole);
    expect(whole.counts).toEqual({ underReplicated: 40, lost: 40, corrupt: 0 });
  });

  it('judges the namespace as it stands when each slice runs', () => {
    const { state, registry } = build();
    const scanner = new HealthScanner(state, registry, options, 7);
    expect(scanner.step()).toBe(false);
    // A file removed and one added while the scan is half done: the first is not judged, the
    // second is (Map iteration carries on over both).
    state.entries.delete('/f59');
    putEntry(state, '/late', { type: 'file', length: 0, mtimeMs: 0, mode: 0o644, chunks: ['500'], replication: 1 });
    state.chunks.set('500', { version: 1, refcount: 1 });
    while (!scanner.step()) {
      // to the end
    }
    const lost = scanner.result?.lost.map((chunk) => chunk.handle) ?? [];
    expect(lost).toContain('500');
    expect(lost).not.toContain('119');
  });
});
