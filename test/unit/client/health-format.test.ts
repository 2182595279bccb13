// What `gfs fsck` and `gfs status` print about replica health: fsck's JSON keeps DESIGN §7's keys
// only, its text names each chunk and ends with a summary; status shows repair progress.

import { describe, expect, it } from 'vitest';
import { formatFsck, fsckJson } from '../../../client/cli/commands/fsck.js';
import { formatStatus } from '../../../client/cli/format.js';
import type { ChunkHealth, FsckReport } from '../../../shared/protocol/health.js';
import type { ClusterStatus } from '../../../shared/protocol/heartbeat.js';

const chunk = (fields: Partial<ChunkHealth>): ChunkHealth => ({
  path: '/a',
  index: 0,
  handle: '7',
  version: 2,
  replication: 3,
  replicas: ['127.0.0.1:1'],
  corrupt: [],
  ...fields,
});

function report(fields: Partial<FsckReport>): FsckReport {
  return {
    healthy: false,
    chunks: 10,
    underReplicated: [],
    lost: [],
    corrupt: [],
    counts: { underReplicated: 0, lost: 0, corrupt: 0 },
    ...fields,
  };
}

describe('gfs fsck output', () => {
  it('--json has exactly healthy, underReplicated, lost and corrupt', () => {
    const under = chunk({});
    expect(fsckJson(report({ underReplicated: [under], counts: { underReplicated: 1, lost: 0, corrupt: 0 } }))).toEqual(
      { healthy: false, underReplicated: [under], lost: [], corrupt: [] },
    );
  });

  it('prints one line per chunk, says when the lists were cut, and sums up', () => {
    const lines = formatFsck(
      report({
        lost: [chunk({ handle: '9', index: 3, replicas: [] })],
        underReplicated: [chunk({})],
        corrupt: [chunk({ corrupt: ['127.0.0.1:2'] })],
        counts: { underReplicated: 5, lost: 1, corrupt: 1 },
      }),
    );
    expect(lines).toEqual([
      'lost: /a chunk 3 handle=9 version=2 replicas=0/3',
      'under-replicated: /a chunk 0 handle=7 version=2 replicas=1/3 127.0.0.1:1',
      'corrupt: /a chunk 0 handle=7 version=2 replicas=1/3 127.0.0.1:1 corrupt=127.0.0.1:2',
      '(list cut short; counts are exact)',
      '10 chunks checked: 5 under-replicated, 1 lost, 1 corrupt',
    ]);
    expect(formatFsck(report({ healthy: true }))).toEqual(['10 chunks checked: healthy']);
  });

  it('status shows repair progress', () => {
    const lines = formatStatus(
      {
        master: '127.0.0.1:7070',
        ready: true,
        chunkSize: 1024,
        chunkservers: [],
        files: 1,
        trashedFiles: 3,
        chunks: 2,
        underReplicated: 2,
        repair: { inFlight: 1, done: 4, failed: 1, waiting: 1, lost: 0 },
      },
      String,
    );
    expect(lines).toContain('repair: 1 clones in flight, 4 done, 1 chunks waiting, 0 lost  failed: 1');
    // What each count counts: files outside the trash, files in it, every chunk of either.
    expect(lines).toContain('files: 1  in trash: 3  chunks: 2  under-replicated: 2');
  });

  it('status shows replicas trimmed and rebalancing progress, or that rebalancing is off', () => {
    const rebalance = {
      inFlight: 2,
      done: 7,
      failed: 0,
      bytesMoved: 7 * 1024,
      bytesPerSecond: 1024,
      thresholdPercent: 10,
      overFull: 1,
      underFull: 1,
    };
    const status = (repair: Partial<ClusterStatus['repair']>) =>
      formatStatus(
        {
          master: '127.0.0.1:7070',
          ready: true,
          chunkSize: 1024,
          chunkservers: [],
          files: 1,
          trashedFiles: 0,
          chunks: 2,
          underReplicated: 0,
          repair: { inFlight: 0, done: 4, failed: 0, waiting: 0, lost: 0, ...repair },
        },
        (bytes) => `${bytes} B`,
      );
    const lines = status({ trimmed: 3, rebalance });
    expect(lines).toContain(
      'repair: 0 clones in flight, 4 done, 0 chunks waiting, 0 lost  over-goal replicas trimmed: 3',
    );
    expect(lines).toContain(
      'rebalance: 2 moves in flight, 7 done, 7168 B moved, 2 servers beyond 10 points of the mean use',
    );
    expect(status({ rebalance: { ...rebalance, bytesPerSecond: 0 } })).toContain('rebalance: off');
    expect(status({}).some((line) => line.startsWith('rebalance:'))).toBe(false);
  });
});
