// A property-based fuzzer (fast-check) against every route of a real master, chunkservers and
// gateway (issue 7): every request gets an answer in time, never a 5xx but the few that name a
// state of the cluster, the servers stay up, and nothing outside their data directories is
// touched. Then slow and flooding clients: a stalled request head is cut within its timeout, and
// a flood of idle connections cannot keep a normal client out for longer than that.
//
// A failure prints fast-check's seed and counterexample; GFS_FUZZ_SEED=<seed> replays the same
// requests, GFS_FUZZ_RUNS=<n> runs more of them (docs/security-input.md).

import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HTTP_CONNECTIONS_CHECK_MS,
  HTTP_CONNECTIONS_MAX,
  HTTP_HEADER_BYTES_MAX,
  HTTP_HEADERS_TIMEOUT_MS,
  SERIAL_GAP_WAIT_MS,
} from '../../shared/limits.js';
import { TestCluster } from '../harness/cluster.js';
import { freePort } from '../harness/free-port.js';
import { ESCAPE_MARKER } from '../harness/fuzz/hostile.js';
import { authenticate, type FuzzResponse, sendRaw } from '../harness/fuzz/raw-http.js';
import { type FuzzTargets, LEAK_MARKERS, requestsFor } from '../harness/fuzz/requests.js';
import {
  documentedRoutes,
  type RouteEntry,
  routeKey,
  routesFromCode,
  type ServerRole,
} from '../harness/fuzz/routes.js';
import { namesContaining, snapshotTree, type TreeSnapshot, treeDifferences } from '../harness/fuzz/tree-snapshot.js';
import { startTestGateway, type TestGateway } from '../harness/gateway.js';

const RUNS_PER_ROUTE = Number(process.env.GFS_FUZZ_RUNS ?? 25);
const SEED = process.env.GFS_FUZZ_SEED === undefined ? undefined : Number(process.env.GFS_FUZZ_SEED);
/** Routes fuzzed at once: the servers see concurrent hostile requests, and waits overlap. */
const ROUTES_IN_PARALLEL = 8;
/**
 * "No hang": the longest a route waits by design is a secondary waiting for a missing serial
 * (SERIAL_GAP_WAIT_MS), which fuzzed applies to an existing chunk can trigger; past it plus a
 * margin for a loaded machine, a request counts as hung.
 */
const ANSWER_TIMEOUT_MS = SERIAL_GAP_WAIT_MS + 5_000;
/**
 * 5xx answers that are states of the cluster, not failures of the server: a fuzzed request may
 * name a peer that refuses or does not exist (secondaries, a clone source, a push chain, a fake
 * chunkserver registered by an earlier request, to which the master then hands leases):
 * UNAVAILABLE, or REPLICA_FAILED when a secondary refused the forwarded mutation (also the answer
 * to inline bytes whose CRC32C does not match, taken as damage in transit); BUSY is backpressure;
 * NOT_READY a server still starting. Any other 5xx, INTERNAL above all, is a bug to fix.
 */
const ALLOWED_5XX_CODES = new Set(['UNAVAILABLE', 'REPLICA_FAILED', 'BUSY', 'NOT_READY']);
/**
 * DELEGATED (503) is the master's answer to a request touching a directory a fuzzed
 * `/ns/delegations/take` delegated to a made-up holder: that holder never returns it, so the
 * directory stays delegated until its term ends, and the answer says so. Allowed with 503 only.
 */
const DELEGATED_STATUS = 503;
const WORKTREE = process.cwd();

let fuzzRoot: string | undefined;
let cluster: TestCluster | undefined;
let gateway: TestGateway | undefined;
let targets: FuzzTargets;

beforeAll(async () => {
  // The cluster's root inside a directory of the test's own, beside a file no server may touch:
  // the snapshot covers both, and no other test's files change in it.
  fuzzRoot = await mkdtemp(join(tmpdir(), 'gfs-fuzz-'));
  await writeFile(join(fuzzRoot, 'outside.txt'), 'not for servers\n');
  cluster = await TestCluster.start({ chunkSize: '1MiB', parentDir: fuzzRoot });
  gateway = await startTestGateway(cluster.masterUrl);
  expect((await cluster.gfs(['mkdir', '-p', 'gfs:/fuzz/dir'])).code).toBe(0);
  expect((await cluster.gfs(['cp', '-', 'gfs:/fuzz/small'], { input: 'small file\n' })).code).toBe(0);
  expect((await cluster.gfs(['cp', '-', 'gfs:/fuzz/dir/big'], { input: Buffer.alloc(1_500_000, 1) })).code).toBe(0);
  const stat = await cluster.gfs(['stat', '--chunks', '--json', 'gfs:/fuzz/dir/big']);
  const chunks = (JSON.parse(stat.stdout.toString()) as { chunks: { handle: string }[] }).chunks;
  const deadPort = await freePort();
  targets = {
    liveAddresses: [
      ...cluster.chunkservers.map((node) => `127.0.0.1:${node.port}`),
      `127.0.0.1:${cluster.master.port}`,
      gateway.url.slice('http://'.length),
    ],
    deadAddresses: [`127.0.0.1:${deadPort}`, '127.0.0.1:0', '127.0.0.1:99999', 'not an address', '[::1:1', ':'],
    knownPaths: ['/fuzz', '/fuzz/dir', '/fuzz/small', '/fuzz/dir/big'],
    knownHandles: chunks.map((chunk) => chunk.handle),
  };
});

afterAll(async () => {
  await gateway?.stop();
  await cluster?.stop();
  if (fuzzRoot !== undefined) await rm(fuzzRoot, { recursive: true, force: true });
});

function portOf(role: ServerRole, index: number): number {
  if (cluster === undefined || gateway === undefined) throw new Error('cluster not started');
  if (role === 'master') return cluster.master.port;
  if (role === 'gateway') return Number(new URL(gateway.url).port);
  const chunkservers = cluster.chunkservers;
  const node = chunkservers[index % chunkservers.length];
  if (node === undefined) throw new Error('no chunkserver');
  return node.port;
}

function allPorts(): { name: string; port: number }[] {
  if (cluster === undefined) throw new Error('cluster not started');
  return [
    { name: 'master', port: portOf('master', 0) },
    ...cluster.chunkservers.map((node) => ({ name: node.name, port: node.port })),
    { name: 'gateway', port: portOf('gateway', 0) },
  ];
}

function dataDirectories(): string[] {
  if (cluster === undefined) throw new Error('cluster not started');
  return [cluster.master.dataDir, ...cluster.chunkservers.map((node) => node.dataDir)];
}

async function snapshotOutsideData(): Promise<TreeSnapshot> {
  if (fuzzRoot === undefined) throw new Error('no fuzz root');
  return snapshotTree([fuzzRoot, WORKTREE], { skip: dataDirectories(), skipNames: ['node_modules', '.git'] });
}

/** Which servers exited, and the tail of each one's log: what explains a failed run. */
function serverLogs(): string {
  if (cluster === undefined || gateway === undefined) return '';
  const nodes = [cluster.master, ...cluster.chunkservers];
  const lines = nodes.map((node) => {
    const exit = node.process?.exitCode ?? node.process?.signalCode ?? 'running';
    return `--- ${node.name} (${exit}):\n${node.stderr.slice(-3000)}`;
  });
  lines.push(`--- gateway (${gateway.process.exitCode ?? 'running'}):\n${gateway.stderr().slice(-3000)}`);
  return lines.join('\n');
}

function isNoSuchRoute(response: FuzzResponse): boolean {
  return response.status === 404 && response.head.includes('no such route');
}

/** Fails unless the answer is one a healthy server may give to a hostile request. */
function checkAnswer(response: FuzzResponse): void {
  if (response.status === 0) throw new Error(`the connection closed without an answer: ${response.head}`);
  const delegated = response.status === DELEGATED_STATUS && response.code === 'DELEGATED';
  if (response.status >= 500 && !delegated && !ALLOWED_5XX_CODES.has(response.code ?? '')) {
    throw new Error(`answered ${response.status}: ${response.head}`);
  }
  const leaked = LEAK_MARKERS.find((marker) => response.text.includes(marker));
  if (leaked !== undefined) throw new Error(`answered with a file from outside (${leaked}): ${response.head}`);
}

/** Runs `work` over `items`, at most `limit` at once. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      if (item !== undefined) await work(item);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

describe('route list', () => {
  it('the routes derived from the code are exactly those docs/protocol.md lists', () => {
    const fromCode = routesFromCode().map(routeKey).sort();
    expect(fromCode).toEqual(documentedRoutes().sort());
  });
});

describe('fuzzed requests', () => {
  it('every route answers in time, without a 5xx, and nothing outside the data directories changes', async () => {
    const before = await snapshotOutsideData();
    // The snapshot sees what it must guard: the file beside the cluster, the worktree's sources.
    expect(before.has(join(fuzzRoot ?? '', 'outside.txt'))).toBe(true);
    expect(before.has(join(WORKTREE, 'package.json'))).toBe(true);
    const routes = routesFromCode();
    const failures: string[] = [];
    const reached = new Set<string>();
    await inParallel(routes, ROUTES_IN_PARALLEL, async (entry: RouteEntry) => {
      let sent = 0;
      const property = fc.asyncProperty(requestsFor(entry, targets), async (request) => {
        const port = portOf(entry.role, sent++);
        const response = await sendRaw(port, authenticate(request, sent), ANSWER_TIMEOUT_MS);
        if (request.method === entry.method && !isNoSuchRoute(response)) reached.add(routeKey(entry));
        checkAnswer(response);
      });
      try {
        await fc.assert(property, {
          numRuns: RUNS_PER_ROUTE,
          // Shrinking re-sends requests, each up to ANSWER_TIMEOUT_MS when the failure is a hang:
          // by default the first counterexample is reported as it is (its seed replays it).
          endOnFailure: process.env.GFS_FUZZ_SHRINK === undefined,
          includeErrorInReport: true,
          ...(SEED === undefined ? {} : { seed: SEED }),
        });
      } catch (error) {
        failures.push(`${routeKey(entry)}: ${String(error)}`);
        if (process.env.GFS_FUZZ_DEBUG) console.log(`FAIL ${routeKey(entry)}: ${String(error).slice(0, 3000)}`);
      }
      if (process.env.GFS_FUZZ_DEBUG) console.log(`done ${routeKey(entry)}`);
    });
    expect(failures, `${failures.join('\n\n')}\n${serverLogs()}`).toEqual([]);
    expect(routes.map(routeKey).filter((key) => !reached.has(key))).toEqual([]);

    for (const { name, port } of allPorts()) {
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status, `${name} /healthz after fuzzing`).toBe(200);
    }
    const after = await snapshotOutsideData();
    expect(treeDifferences(before, after)).toEqual([]);
    const escaped = [
      ...namesContaining(after, ESCAPE_MARKER),
      ...(await readdir(tmpdir())).filter((name) => name.includes(ESCAPE_MARKER)),
    ];
    expect(escaped).toEqual([]);
  });
});

/** Opens a connection and resolves once it is open, with its close awaited as `closed` (ms after open). */
async function openConnection(port: number): Promise<{ socket: Socket; closed: Promise<number> }> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
  const closed = new Promise<number>((resolve) => {
    const openedMs = Date.now();
    socket.once('close', () => resolve(Date.now() - openedMs));
  });
  await new Promise<void>((resolve) => {
    socket.once('connect', () => resolve());
    socket.once('close', () => resolve());
  });
  return { socket, closed };
}

async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

describe('slow and flooding clients', () => {
  it('a request head over the bound is refused with 431 by every server', async () => {
    for (const { name, port } of allPorts()) {
      const oversized = { method: 'GET', target: '/healthz', headers: { 'x-big': 'h'.repeat(HTTP_HEADER_BYTES_MAX) } };
      const response = await sendRaw(port, authenticate(oversized), ANSWER_TIMEOUT_MS);
      expect(response.status, name).toBe(431);
      const fine = await sendRaw(
        port,
        authenticate({ method: 'GET', target: '/healthz', headers: {} }),
        ANSWER_TIMEOUT_MS,
      );
      expect(fine.status, name).toBe(200);
    }
  });

  const cutWithinMs = HTTP_HEADERS_TIMEOUT_MS + HTTP_CONNECTIONS_CHECK_MS + 3_000;

  it('a stalled request head is cut, and idle connections past the bound cannot keep clients out', async () => {
    const flooders: Socket[] = [];
    try {
      await Promise.all(
        allPorts()
          .filter(({ name }) => name !== 'cs2' && name !== 'cs3')
          .map(async ({ name, port }) => {
            const stalled = await openConnection(port);
            stalled.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
            // More connections than the bound, each silent, none ever closed by this client.
            const flood: { socket: Socket; closed: Promise<number> }[] = [];
            for (let i = 0; i < HTTP_CONNECTIONS_MAX + 64; i += 256) {
              const batch = await Promise.all(
                Array.from({ length: Math.min(256, HTTP_CONNECTIONS_MAX + 64 - i) }, () => openConnection(port)),
              );
              flood.push(...batch);
              flooders.push(...batch.map((connection) => connection.socket));
            }
            // The server closes what is past its bound as it arrives.
            await expect
              .poll(() => flood.filter((connection) => !connection.socket.destroyed).length, { timeout: 5_000 })
              .toBeLessThanOrEqual(HTTP_CONNECTIONS_MAX);
            // Meanwhile a normal client is served or cleanly refused; never left hanging.
            const during = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5_000) }).then(
              (response) => response.status,
              (error: unknown) => (error instanceof Error && error.name === 'TimeoutError' ? 'hung' : 'refused'),
            );
            expect(during, `${name} during the flood`).not.toBe('hung');
            expect(await stalled.closed, `${name}: the stalled head was cut`).toBeLessThan(cutWithinMs);
            // The flood is cut too (its connections sent nothing): a normal client is served again.
            await withDeadline(
              Promise.all(flood.map((connection) => connection.closed)),
              cutWithinMs,
              `${name}: flood cut`,
            );
            const afterwards = await fetch(`http://127.0.0.1:${port}/healthz`);
            expect(afterwards.status, `${name} after the flood`).toBe(200);
          }),
      );
    } finally {
      for (const socket of flooders) socket.destroy();
    }
  });
});
