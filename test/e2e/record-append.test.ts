// Record append as the issue states it: 8 processes × 500 records of 100 B – 64 KiB appended at
// once to one file with 1 MiB chunks, with and without a chunkserver SIGKILLed mid-run; every
// acknowledged record must read back intact at its offset, the reader must yield each exactly
// once, and padding must appear only at chunk ends. Also the size limit and follow mode.

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FRAME_HEADER_BYTES, probeFrame } from '../../client/sdk/records/frame.js';
import { GfsClient } from '../../index.js';
import { RpcClient } from '../../shared/http/client.js';
import { appendRoute } from '../../shared/protocol/data.js';
import { sha256 } from '../harness/bytes.js';
import { chunkTokenHeaders } from '../harness/chunk-token.js';
import { TestCluster } from '../harness/cluster.js';
import { codeOfAsync } from '../harness/error-code.js';
import { GFS_BIN } from '../harness/gfs-cli.js';
import { waitFor } from '../harness/wait.js';

const MiB = 1024 * 1024;
const CHUNK = MiB;
const APPENDER = fileURLToPath(new URL('../harness/appender-process.mjs', import.meta.url));
const PROCESSES = 8;
const RECORDS_EACH = 500;

interface Ack {
  name: string;
  i: number;
  offset: number;
  size: number;
  sha: string;
}

let cluster: TestCluster | undefined;
let client: GfsClient | undefined;
const children = new Set<ChildProcess>();

afterEach(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  children.clear();
  await client?.close();
  client = undefined;
  await cluster?.stop();
  cluster = undefined;
});

async function start(): Promise<{ cluster: TestCluster; client: GfsClient }> {
  cluster = await TestCluster.start({ chunkSize: '1MiB', lease: '3s', deadAfter: '1500ms', heartbeat: '200ms' });
  client = new GfsClient({ master: cluster.masterUrl });
  return { cluster, client };
}

/** Runs PROCESSES appenders at once; `onAcks` sees the running count of acknowledged records. */
async function runAppenders(
  master: string,
  path: string,
  onAcks?: (acked: number) => void,
): Promise<{ acks: Ack[]; failures: string[] }> {
  const acks: Ack[] = [];
  const failures: string[] = [];
  await Promise.all(
    Array.from({ length: PROCESSES }, (_, p) => {
      const name = `p${p}`;
      const child = spawn(process.execPath, [APPENDER, master, path, name, String(RECORDS_EACH)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.add(child);
      let partial = '';
      let stderr = '';
      child.stdout.on('data', (data: Buffer) => {
        const lines = (partial + data.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          acks.push({ name, ...(JSON.parse(line) as Omit<Ack, 'name'>) });
          onAcks?.(acks.length);
        }
      });
      child.stderr.on('data', (data: Buffer) => {
        stderr += data.toString();
      });
      return new Promise<void>((resolve) => {
        child.on('close', (code) => {
          if (code !== 0) failures.push(`${name} exited ${code}: ${stderr.trim()}`);
          resolve();
        });
      });
    }),
  );
  return { acks, failures };
}

/** Every acknowledged record is a valid frame at its offset holding exactly the payload sent. */
function checkAcksInFile(file: Buffer, acks: readonly Ack[]): void {
  for (const ack of acks) {
    const probe = probeFrame(file, ack.offset, file.length, file.length);
    expect(probe.kind, `record ${ack.name}:${ack.i} at ${ack.offset}`).toBe('frame');
    if (probe.kind !== 'frame') continue;
    expect(probe.frame.payload.length).toBe(ack.size);
    expect(sha256(probe.frame.payload)).toBe(ack.sha);
    // A record never crosses a chunk boundary.
    expect(Math.floor(ack.offset / CHUNK)).toBe(Math.floor((ack.offset + FRAME_HEADER_BYTES + ack.size - 1) / CHUNK));
  }
}

/** The reader yields every acknowledged record, and each record (by id and by content) once. */
async function checkReader(client: GfsClient, path: string, acks: readonly Ack[]): Promise<void> {
  const ids = new Set<string>();
  const tags = new Map<string, number>();
  for await (const record of client.records(path)) {
    expect(ids.has(record.id), `duplicate id ${record.id}`).toBe(false);
    ids.add(record.id);
    const tag = record.data.subarray(0, 16).toString('latin1').split(':').slice(0, 2).join(':');
    tags.set(tag, (tags.get(tag) ?? 0) + 1);
  }
  for (const ack of acks) expect(tags.get(`${ack.name}:${ack.i}`), `${ack.name}:${ack.i}`).toBe(1);
  expect([...tags.values()].every((count) => count === 1)).toBe(true);
}

/** Without failures, each chunk is back-to-back frames from its start, then zeros to its end. */
function checkPaddingOnlyAtChunkEnds(file: Buffer): void {
  for (let chunkStart = 0; chunkStart < file.length; chunkStart += CHUNK) {
    const chunkEnd = Math.min(chunkStart + CHUNK, file.length);
    let at = chunkStart;
    for (;;) {
      const probe = probeFrame(file, at, chunkEnd, chunkEnd);
      if (probe.kind !== 'frame') break;
      at = probe.frame.end;
    }
    expect(at, `chunk at ${chunkStart} starts with a record`).toBeGreaterThan(chunkStart);
    const rest = file.subarray(at, chunkEnd);
    expect(
      rest.every((byte) => byte === 0),
      `only padding after ${at} in chunk at ${chunkStart}`,
    ).toBe(true);
    if (chunkEnd < file.length) expect(chunkEnd - chunkStart).toBe(CHUNK);
  }
}

describe('record append from many processes', () => {
  it('8 × 500 records: all intact at their offsets, each read once, padding only at chunk ends', async () => {
    const { cluster, client } = await start();
    const path = '/logs/all.rec';
    await client.mkdir('/logs', { recursive: true });
    const { acks, failures } = await runAppenders(cluster.masterUrl, path);
    expect(failures).toEqual([]);
    expect(acks.length).toBe(PROCESSES * RECORDS_EACH);
    expect(new Set(acks.map((ack) => ack.offset)).size).toBe(acks.length);
    const file = await client.readFile(path);
    checkAcksInFile(file, acks);
    checkPaddingOnlyAtChunkEnds(file);
    await checkReader(client, path, acks);
  });

  for (const victim of ['secondary', 'primary'] as const) {
    it(`keeps every acknowledged record when the ${victim} is SIGKILLed mid-run`, async () => {
      const { cluster, client } = await start();
      const path = `/kill-${victim}.rec`;
      let killed: Promise<void> | undefined;
      const { acks, failures } = await runAppenders(cluster.masterUrl, path, (acked) => {
        if (killed !== undefined || acked < (PROCESSES * RECORDS_EACH) / 3) return;
        killed = (async () => {
          const chunks = await client.fileChunks(path);
          const last = chunks.at(-1);
          const primary = last?.primary ?? undefined;
          const address = victim === 'primary' ? primary : last?.replicas.find((replica) => replica !== primary);
          if (address === undefined) throw new Error(`no ${victim} for the last chunk`);
          const node = cluster.chunkservers.find((candidate) => address.endsWith(`:${candidate.port}`));
          if (node === undefined) throw new Error(`no chunkserver at ${address}`);
          await cluster.kill(node);
        })();
      });
      await killed;
      expect(killed).toBeDefined();
      expect(failures).toEqual([]);
      expect(acks.length).toBe(PROCESSES * RECORDS_EACH);
      checkAcksInFile(await client.readFile(path), acks);
      await checkReader(client, path, acks);
    });
  }
});

describe('record append across a master restart', () => {
  it('appends go on while the master is SIGKILLed and restarted; nothing acknowledged is lost', async () => {
    const { cluster, client } = await start();
    const path = '/master-restart.rec';
    const acked = new Map<number, number>();
    let next = 0;
    let stop = false;
    const lane = async () => {
      while (!stop) {
        const i = next++;
        const { offset } = await client.recordAppend(path, `record ${i} ${'x'.repeat(i % 2000)}`);
        acked.set(i, offset);
      }
    };
    const lanes = Array.from({ length: 8 }, lane);
    await waitFor('appends before the restart', () => acked.size >= 300);
    await cluster.restart(cluster.master);
    const afterRestart = acked.size;
    await waitFor('appends after the restart', () => acked.size >= afterRestart + 300, 60_000);
    stop = true;
    await Promise.all(lanes);
    const seen = new Map<number, number>();
    for await (const record of client.records(path)) {
      const i = Number(record.data.toString().split(' ')[1]);
      expect(seen.has(i), `record ${i} twice`).toBe(false);
      seen.set(i, record.offset);
    }
    // Every acknowledged record is read once, and sits at the offset its append returned (a retried
    // append may have left an earlier copy too, which the reader yields in its place).
    const file = await client.readFile(path);
    for (const [i, offset] of acked) {
      expect(seen.has(i), `record ${i}`).toBe(true);
      const probe = probeFrame(file, offset, file.length, file.length);
      expect(probe.kind === 'frame' && probe.frame.payload.toString().startsWith(`record ${i} `)).toBe(true);
    }
  });
});

describe('record size limit', () => {
  it('refuses chunk/4 + 1 bytes with RECORD_TOO_LARGE before creating anything; chunk/4 fits', async () => {
    const { cluster, client } = await start();
    const limit = CHUNK / 4;
    const tooBig = await cluster.gfs(['append', '--raw', 'gfs:/big.raw'], { input: Buffer.alloc(limit + 1, 1) });
    expect(tooBig.code).toBe(1);
    expect(tooBig.stderr).toBe(`gfs: record too large: ${limit + 1} bytes, the limit is ${limit}: /big.raw\n`);
    expect(await codeOfAsync(client.stat('/big.raw'))).toBe('NOT_FOUND');
    // Framed: the 32-byte frame counts against the limit.
    const framed = await cluster.gfs(['append', 'gfs:/big.rec'], {
      input: Buffer.alloc(limit - FRAME_HEADER_BYTES + 1),
    });
    expect(framed.code).toBe(1);
    expect(framed.stderr).toContain('record too large');
    expect(await codeOfAsync(client.recordAppend('/big.rec', Buffer.alloc(limit)))).toBe('RECORD_TOO_LARGE');

    // --lines: the lines before an oversized one are appended and printed, none after it.
    const payloadLimit = limit - FRAME_HEADER_BYTES;
    const lines = await cluster.gfs(['append', '--lines', 'gfs:/lines.rec'], {
      input: `one\ntwo\n${'x'.repeat(payloadLimit + 1)}\nafter\n`,
    });
    expect(lines.code).toBe(1);
    expect(lines.stdout.toString()).toBe('0\n35\n');
    expect(lines.stderr).toBe(
      `gfs: record too large: ${payloadLimit + 1} bytes, the limit is ${payloadLimit}: /lines.rec\n`,
    );
    const kept: string[] = [];
    for await (const record of client.records('/lines.rec')) kept.push(record.data.toString());
    expect(kept).toEqual(['one', 'two']);

    const fits = await cluster.gfs(['append', '--raw', 'gfs:/big.raw'], { input: Buffer.alloc(limit, 1) });
    expect(fits.code, fits.stderr).toBe(0);
    expect(fits.stdout.toString()).toBe('0\n');
    const framedFits = await cluster.gfs(['append', 'gfs:/big.rec'], {
      input: Buffer.alloc(limit - FRAME_HEADER_BYTES, 2),
    });
    expect(framedFits.stdout.toString()).toBe('0\n');
  });

  it('the primary itself refuses an oversized append', async () => {
    const { cluster, client } = await start();
    await client.recordAppend('/small.rec', 'x');
    const [chunk] = await client.fileChunks('/small.rec');
    const rpc = new RpcClient({});
    try {
      const primary = chunk?.primary ?? '';
      const handle = chunk?.handle ?? '';
      const version = chunk?.version ?? 0;
      const error = await codeOfAsync(
        rpc.call(
          primary,
          appendRoute,
          { handle, version, dataId: 'never-pushed-data-id', length: CHUNK / 4 + 1, secondaries: [] },
          appendRoute.url,
          await chunkTokenHeaders(cluster.root, handle, version, 'w'),
        ),
      );
      expect(error).toBe('RECORD_TOO_LARGE');
    } finally {
      await rpc.close();
    }
  });
});

describe('gfs append and gfs records', () => {
  it('appends lines in input order, prints offsets, and prints records with --offsets', async () => {
    const { cluster } = await start();
    const appended = await cluster.gfs(['append', '--lines', 'gfs:/cli.rec'], { input: 'alpha\nbeta\n\ngamma' });
    expect(appended.code, appended.stderr).toBe(0);
    const offsets = appended.stdout.toString().trim().split('\n').map(Number);
    expect(offsets).toEqual([0, 37, 73, 105]);
    const listed = await cluster.gfs(['records', '--offsets', 'gfs:/cli.rec']);
    expect(listed.stdout.toString()).toBe('0\talpha\n37\tbeta\n73\t\n105\tgamma\n');
    // Many lines from one `gfs append --lines` keep their order in the file.
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i}`);
    const many = await cluster.gfs(['append', '--lines', 'gfs:/many.rec'], { input: `${lines.join('\n')}\n` });
    expect(many.code, many.stderr).toBe(0);
    const manyOffsets = many.stdout.toString().trim().split('\n').map(Number);
    expect(manyOffsets.length).toBe(5000);
    expect(manyOffsets.every((offset, i) => i === 0 || offset > (manyOffsets[i - 1] ?? 0))).toBe(true);
    const read = await cluster.gfs(['records', 'gfs:/many.rec']);
    expect(read.stdout.toString()).toBe(`${lines.join('\n')}\n`);
    const missing = await cluster.gfs(['records', 'gfs:/nope.rec']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^gfs: .*: \/nope\.rec\n$/);
  });

  it('follow mode prints records appended after it started, and stops on SIGTERM', async () => {
    const { cluster, client } = await start();
    await client.recordAppend('/tail.rec', 'before');
    const follower = spawn(
      process.execPath,
      [GFS_BIN, '--master', cluster.masterUrl, 'records', '-f', 'gfs:/tail.rec'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.add(follower);
    let output = '';
    follower.stdout.on('data', (data: Buffer) => {
      output += data.toString();
    });
    await waitFor('the record appended before', () => output === 'before\n', 20_000);
    for (let i = 0; i < 3; i++) await client.recordAppend('/tail.rec', `after ${i}`);
    // Enough to fill a chunk: the follower crosses into new chunks too.
    await Promise.all(Array.from({ length: 40 }, (_, i) => client?.recordAppend('/tail.rec', `${i}`.repeat(40_000))));
    await waitFor('the records appended after', () => output.split('\n').length === 1 + 3 + 40 + 1, 20_000);
    expect(output.startsWith('before\nafter 0\nafter 1\nafter 2\n')).toBe(true);
    const exited = new Promise<number | null>((resolve) => follower.on('close', resolve));
    follower.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('appends to a file removed since the first append: created again', async () => {
    const { client } = await start();
    await client.recordAppend('/again.rec', 'first life');
    await client.rm('/again.rec');
    const { offset } = await client.recordAppend('/again.rec', 'second life');
    expect(offset).toBe(0);
    const seen: string[] = [];
    for await (const record of client.records('/again.rec')) seen.push(record.data.toString());
    expect(seen).toEqual(['second life']);
  });

  it('SDK follow mode ends when its signal is aborted', async () => {
    const { client } = await start();
    await client.recordAppend('/sdk-tail.rec', 'one');
    const stop = new AbortController();
    const seen: string[] = [];
    const reading = (async () => {
      // Ends by the signal; a failure would surface at `await reading`.
      for await (const record of client.records('/sdk-tail.rec', { follow: true, pollMs: 50, signal: stop.signal })) {
        seen.push(record.data.toString());
        if (seen.length === 3) stop.abort();
      }
    })();
    await waitFor('the first record', () => seen.length === 1, 10_000);
    await client.recordAppend('/sdk-tail.rec', 'two');
    await client.recordAppend('/sdk-tail.rec', 'three');
    await reading;
    expect(seen).toEqual(['one', 'two', 'three']);
  });
});
