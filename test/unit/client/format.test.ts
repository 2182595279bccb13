import { describe, expect, it } from 'vitest';
import { formatTrashLine, trashJson } from '../../../client/cli/commands/trash.js';
import {
  entryJson,
  formatLongListing,
  formatStat,
  modeString,
  statJson,
  statusJson,
} from '../../../client/cli/format.js';
import type { Entry } from '../../../shared/protocol/namespace.js';

const entry = (overrides: Partial<Entry>): Entry => ({
  name: 'f',
  path: '/f',
  type: 'file',
  size: 5,
  chunks: 1,
  replication: 3,
  mtime: '2024-05-01T10:00:00.000Z',
  mtimeMs: 1714557600000,
  mode: 0o644,
  owner: 'alice',
  group: 'staff',
  ...overrides,
});

describe('ls -l formatting', () => {
  it('renders modes like ls', () => {
    expect(modeString('dir', 0o755)).toBe('drwxr-xr-x');
    expect(modeString('file', 0o644)).toBe('-rw-r--r--');
    expect(modeString('file', 0o100600)).toBe('-rw-------');
  });

  it('prints mode, replication, size, mtime and name with aligned numbers', () => {
    const lines = formatLongListing([
      entry({ name: 'big', size: 1234567 }),
      entry({ name: 'sub', type: 'dir', size: 0, replication: 0, mode: 0o755 }),
    ]);
    expect(lines).toEqual([
      '-rw-r--r-- 3 1234567 2024-05-01T10:00:00.000Z big',
      'drwxr-xr-x 0       0 2024-05-01T10:00:00.000Z sub',
    ]);
    expect(lines[0]?.split(/\s+/)).toEqual(['-rw-r--r--', '3', '1234567', '2024-05-01T10:00:00.000Z', 'big']);
  });
});

describe('JSON shapes (DESIGN §7)', () => {
  it('ls --json and stat --json carry the contract keys, then owner and group (issue 7)', () => {
    expect(Object.keys(entryJson(entry({})))).toEqual([
      'name',
      'path',
      'type',
      'size',
      'replication',
      'mtime',
      'mode',
      'owner',
      'group',
    ]);
    expect(statJson(entry({}))).toEqual({
      path: '/f',
      type: 'file',
      size: 5,
      chunks: 1,
      replication: 3,
      mtime: '2024-05-01T10:00:00.000Z',
      mode: 0o644,
      owner: 'alice',
      group: 'staff',
    });
    const chunk = { index: 0, handle: '7', version: 2, size: 5, replicas: ['127.0.0.1:7071'] };
    // The primary is the master's business, not the contract's: it is left out.
    expect(statJson(entry({}), [{ ...chunk, primary: '127.0.0.1:7071' }]).chunks).toEqual([chunk]);
  });

  it('status --json keeps the contract keys only', () => {
    const json = statusJson({
      master: '127.0.0.1:7070',
      ready: true,
      chunkSize: 1024,
      chunkservers: [
        {
          id: 'cs1',
          address: '127.0.0.1:7071',
          rack: '',
          alive: true,
          chunks: 2,
          bytesUsed: 10,
          capacityBytes: 100,
          lastHeartbeatMs: 12,
        },
      ],
      files: 1,
      trashedFiles: 3,
      chunks: 2,
      underReplicated: 0,
      repair: { inFlight: 1, done: 2, failed: 0, waiting: 3, lost: 0 },
    });
    expect(json).toEqual({
      master: '127.0.0.1:7070',
      chunkservers: [
        { id: 'cs1', address: '127.0.0.1:7071', rack: '', alive: true, chunks: 2, bytesUsed: 10, lastHeartbeatMs: 12 },
      ],
      files: 1,
      chunks: 2,
      underReplicated: 0,
    });
  });

  it('stat prints key: value lines', () => {
    const lines = formatStat(entry({}));
    expect(lines).toContain('size: 5');
    expect(lines).toContain('chunks: 1');
    expect(lines).toContain('replication: 3');
    expect(lines).toContain('mtime: 2024-05-01T10:00:00.000Z');
  });
});

describe('gfs trash output', () => {
  const entry = {
    path: '/a dir/f',
    type: 'file' as const,
    size: 5,
    files: 1,
    deletedAt: '2024-05-01T10:00:00.000Z',
    deletedAtMs: Date.parse('2024-05-01T10:00:00.000Z'),
    expiresAt: '2024-05-04T10:00:00.000Z',
    expiresAtMs: Date.parse('2024-05-04T10:00:00.000Z'),
  };

  it('prints the path, a tab and the deletion time (a path with spaces splits at the tab)', () => {
    expect(formatTrashLine(entry)).toBe('/a dir/f\t2024-05-01T10:00:00.000Z');
  });

  it('--json keeps the documented keys only', () => {
    expect(trashJson(entry)).toEqual({
      path: '/a dir/f',
      type: 'file',
      size: 5,
      files: 1,
      deletedAt: '2024-05-01T10:00:00.000Z',
      expiresAt: '2024-05-04T10:00:00.000Z',
    });
  });
});
