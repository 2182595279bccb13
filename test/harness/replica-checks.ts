// Replica-health checks for real-process tests: files with known digests, reading them back
// through a fresh client, `gfs fsck` (polled until healthy), each chunk's replicas as the master
// sees them, and the replica files each chunkserver has on disk.

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { GfsClient } from '../../index.js';
import type { FsckReport } from '../../shared/protocol/health.js';
import { seededBytes, sha256 } from './bytes.js';
import type { TestCluster } from './cluster.js';
import { waitFor } from './wait.js';

/** Death, the settle wait and the clones of a few dozen 1 MiB chunks fit well inside. */
export const REPAIR_DEADLINE_MS = 90_000;

/** Files /data/f<i> of the given sizes (seeded bytes), with their digests. */
export async function writeFiles(client: GfsClient, sizes: readonly number[]): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  await client.mkdir('/data', { recursive: true });
  for (const [i, size] of sizes.entries()) {
    const data = seededBytes(size, 100 + i);
    await client.writeFile(`/data/f${i}`, data);
    digests.set(`/data/f${i}`, sha256(data));
  }
  return digests;
}

export async function expectIdentical(cluster: TestCluster, digests: Map<string, string>): Promise<void> {
  // A fresh client: nothing cached from before the failure.
  const reader = new GfsClient({ master: cluster.masterUrl });
  try {
    for (const [path, digest] of digests) expect(sha256(await reader.readFile(path)), path).toBe(digest);
  } finally {
    await reader.close();
  }
}

export async function fsck(cluster: TestCluster): Promise<{ code: number | null; report: FsckReport }> {
  const result = await cluster.gfs(['fsck', '--json']);
  return { code: result.code, report: JSON.parse(result.stdout.toString()) as FsckReport };
}

/** Polls `gfs fsck` until it exits 0 (the cluster healed itself), within the deadline. */
export async function waitHealthy(cluster: TestCluster, deadlineMs = REPAIR_DEADLINE_MS): Promise<FsckReport> {
  return waitFor(
    'gfs fsck to exit 0',
    async () => {
      const { code, report } = await fsck(cluster);
      return code === 0 ? report : undefined;
    },
    deadlineMs,
    250,
  );
}

export interface ChunkInfo {
  handle: string;
  replicas: string[];
}

/** Every chunk of the files, by handle, with the replica addresses the master hands out. */
export async function chunksOf(client: GfsClient, paths: Iterable<string>): Promise<Map<string, ChunkInfo>> {
  const chunks = new Map<string, ChunkInfo>();
  for (const path of paths) {
    for (const chunk of await client.fileChunks(path)) chunks.set(chunk.handle, chunk);
  }
  return chunks;
}

/** The replica files (chunk handles) in a chunkserver's data directory. */
export async function replicasOnDisk(dataDir: string): Promise<string[]> {
  const names = await readdir(join(dataDir, 'chunks')).catch(() => []);
  return names.filter((name) => /^\d+$/.test(name)).sort();
}

export const addressOf = (port: number) => `127.0.0.1:${port}`;
