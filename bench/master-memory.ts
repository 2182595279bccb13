// The master bench's memory figures, run as its own process with --expose-gc (bench/master.ts):
// loads a master data dir as the master does (newest checkpoint + log), then reads the heap (and
// ArrayBuffer memory) after full GCs at three points — with the state; with a chunkserver registry holding 3 replicas of
// every chunk; and with every chunk dropped (each file keeping an empty chunk list) — so that
//   bytes per file  = (heap without chunks − heap before loading) / files
//   bytes per chunk = (heap with state − heap without chunks) / chunks   (chunk table + file lists)
//   location bytes per chunk = (heap with registry − heap with state) / chunks (3 replicas each)
// Prints one JSON line.

import { ChunkserverRegistry } from '../master/chunkservers/registry.js';
import { OpLog } from '../master/oplog/op-log.js';
import { recoverState } from '../master/oplog/recover.js';

const REPLICAS = 3;

/** JS heap plus ArrayBuffer memory (the registry's bitmaps live there) after full GCs. */
function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** A string equal to `handle` but not the same object, as JSON.parse of a report would give. */
function reportedCopy(handle: string): string {
  return ` ${handle}`.slice(1);
}

async function main(): Promise<void> {
  const dataDir = process.argv[2];
  if (dataDir === undefined) throw new Error('usage: master-memory.js DATA_DIR');
  const log = new OpLog(dataDir);
  const before = heapAfterGc();
  const { state } = await recoverState(dataDir, 0, log);
  await log.close();
  const withState = heapAfterGc();

  let registry: ChunkserverRegistry | undefined = new ChunkserverRegistry(() => 0, 10_000);
  for (let i = 1; i <= REPLICAS; i++) {
    registry.register({
      id: `cs${i}`,
      address: `127.0.0.1:${7070 + i}`,
      rack: '',
      capacityBytes: 2 ** 40,
      usedBytes: 0,
    });
  }
  // Each chunkserver's report brings its own copy of the handle string (parsed from its JSON body).
  for (const handle of state.chunks.keys()) {
    for (let i = 1; i <= REPLICAS; i++) registry.addLocation(reportedCopy(handle), `cs${i}`);
  }
  const withRegistry = heapAfterGc();
  registry.servers.clear();
  registry = undefined;

  const files = state.fileCount;
  const chunks = state.chunks.size;
  for (const entry of state.entries.values()) if (entry.type === 'file') entry.chunks = [];
  state.chunks.clear();
  const withoutChunks = heapAfterGc();
  console.log(
    JSON.stringify({
      files,
      chunks,
      heapBytes: withState - before,
      bytesPerFile: (withoutChunks - before) / files,
      bytesPerChunk: (withState - withoutChunks) / chunks,
      locationBytesPerChunk: (withRegistry - withState) / chunks,
      // Keeps the state reachable until every reading is taken.
      entries: state.entries.size,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(`master-memory failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
