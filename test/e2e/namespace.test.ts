// Namespace commands as a user runs them: mkdir, ls, stat, mv, rm, with exact sizes and the
// one-line errors of DESIGN §7.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededBytes } from '../harness/bytes.js';
import { TestCluster } from '../harness/cluster.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await TestCluster.start({ chunkSize: '1MiB' });
});

afterAll(async () => {
  await cluster?.stop();
});

async function ok(args: string[], input?: Buffer): Promise<string> {
  const result = await cluster.gfs(args, input === undefined ? {} : { input });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout.toString();
}

async function fails(args: string[], code = 1): Promise<string> {
  const result = await cluster.gfs(args);
  expect(result.code).toBe(code);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^gfs: /);
  return lines[0] ?? '';
}

describe('namespace', () => {
  it('mkdir -p, ls, ls -l and stat with exact sizes', async () => {
    await ok(['mkdir', '-p', 'gfs:/ns/a/b']);
    await ok(['cp', '-', 'gfs:/ns/a/file1'], seededBytes(1_500_000, 1));
    await ok(['cp', '-', 'gfs:/ns/a/b/file2'], seededBytes(10, 2));

    expect((await ok(['ls', 'gfs:/ns/a'])).trim().split('\n').sort()).toEqual(['b', 'file1']);
    const long = (await ok(['ls', '-l', 'gfs:/ns/a'])).trim().split('\n');
    const fileLine = long.find((line) => line.endsWith(' file1'));
    expect(fileLine).toMatch(/^-[rwx-]{9}\s+3\s+1500000\s+\d{4}-\d\d-\d\dT\S+\s+file1$/);
    expect(long.find((line) => line.endsWith(' b'))).toMatch(/^d[rwx-]{9}\s/);

    const recursive = await ok(['ls', '-R', 'gfs:/ns']);
    expect(recursive).toContain('file2');

    const json = JSON.parse(await ok(['ls', '--json', 'gfs:/ns/a'])) as { name: string; size: number; type: string }[];
    expect(json.find((entry) => entry.name === 'file1')).toMatchObject({
      type: 'file',
      size: 1_500_000,
      replication: 3,
    });

    const stat = await ok(['stat', 'gfs:/ns/a/file1']);
    expect(stat).toMatch(/^size: 1500000$/m);
    expect(stat).toMatch(/^chunks: 2$/m);
    expect(stat).toMatch(/^replication: 3$/m);

    const chunks = JSON.parse(await ok(['stat', '--chunks', '--json', 'gfs:/ns/a/file1'])) as {
      chunks: { index: number; handle: string; version: number; size: number; replicas: string[] }[];
    };
    expect(chunks.chunks.map((chunk) => chunk.size)).toEqual([1_048_576, 1_500_000 - 1_048_576]);
    for (const chunk of chunks.chunks) {
      expect(chunk.handle).toMatch(/^\d+$/);
      expect(chunk.replicas).toHaveLength(3);
    }
  });

  it('mkdir without -p refuses an existing path and a missing parent', async () => {
    await ok(['mkdir', 'gfs:/ns2']);
    expect(await fails(['mkdir', 'gfs:/ns2'])).toContain('/ns2');
    expect(await fails(['mkdir', 'gfs:/missing/child'])).toContain('/missing/child');
  });

  it('mv renames files and directories and replaces an existing file', async () => {
    await ok(['mkdir', '-p', 'gfs:/mv/src/deep']);
    await ok(['cp', '-', 'gfs:/mv/src/deep/f'], Buffer.from('hello'));
    await ok(['mv', 'gfs:/mv/src', 'gfs:/mv/dst']);
    expect(await ok(['cat', 'gfs:/mv/dst/deep/f'])).toBe('hello');
    await fails(['stat', 'gfs:/mv/src']);

    await ok(['cp', '-', 'gfs:/mv/other'], Buffer.from('other'));
    await ok(['mv', 'gfs:/mv/other', 'gfs:/mv/dst/deep/f']);
    expect(await ok(['cat', 'gfs:/mv/dst/deep/f'])).toBe('other');

    await ok(['mkdir', 'gfs:/mv/into']);
    await ok(['mv', 'gfs:/mv/dst/deep/f', 'gfs:/mv/into']);
    expect(await ok(['cat', 'gfs:/mv/into/f'])).toBe('other');
  });

  it('rm needs -r for a directory and -f to ignore a missing path', async () => {
    await ok(['mkdir', '-p', 'gfs:/rm/d']);
    await ok(['cp', '-', 'gfs:/rm/d/f'], Buffer.from('x'));
    expect(await fails(['rm', 'gfs:/rm/d'])).toContain('/rm/d');
    await ok(['rm', '-r', 'gfs:/rm/d']);
    expect(await fails(['ls', 'gfs:/rm/d'])).toContain('/rm/d');
    expect(await fails(['rm', 'gfs:/rm/nothing'])).toContain('/rm/nothing');
    await ok(['rm', '-f', 'gfs:/rm/nothing']);
  });

  it('cp -r copies a tree into the cluster and back', async () => {
    await ok(['mkdir', '-p', 'gfs:/tree/x/y']);
    await ok(['cp', '-', 'gfs:/tree/x/y/z'], Buffer.from('zz'));
    await ok(['cp', '-', 'gfs:/tree/top'], Buffer.from('top'));
    await ok(['cp', '-r', 'gfs:/tree', 'gfs:/tree-copy']);
    expect(await ok(['cat', 'gfs:/tree-copy/x/y/z'])).toBe('zz');
    expect(await ok(['cat', 'gfs:/tree-copy/top'])).toBe('top');
  });
});
