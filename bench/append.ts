// The record-append part of `npm run bench` (issue 3): aggregate records/s and MiB/s of 1, 4 and
// 16 concurrent appenders writing 1 KiB and 64 KiB records into one file each (replication 3),
// every figure the median of 3 runs. A run appends a fixed number of records to the same file,
// or as many as it can start within a time cap, whichever ends first (so the section stays within
// a couple of minutes however fast appends are); its rate is records done over wall time until the
// last one is acknowledged.
//
// An appender is one GfsClient — its own connection pool and its own writer id, as a separate
// application would have — all of them in this process. On this 2-core machine the master and
// three chunkservers take most of both cores and the appenders' own share is small (~15% of the
// CPU); 16 Node processes add their runtimes and schedulers and measured no better (forked
// appenders: 8.6–9.7 MiB/s of 64 KiB records, in-process 9.9–17 MiB/s, same cluster). Each
// appender keeps a fixed number of recordAppend calls outstanding (a loop per slot that awaits one
// call and starts the next), so the SDK can batch the ones that queue up behind its appends in
// flight; awaiting each call serially would measure round trips.
//
// Every run, and every run of the write baseline the rows are compared with, starts after `sync`:
// otherwise the page-cache writeback of earlier sections (GiBs of replicas) lands on later runs,
// and a baseline measured on a clean cache is compared with appends measured on a dirty one.
//
// After the three runs of a configuration the file is read back once with `records()` (not timed)
// to check that it holds exactly as many records as were appended, then deleted.

import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { GfsClient } from '../index.js';
import { settleDisk } from './measure.js';

const KiB = 1024;
const MiB = 1024 * KiB;

export interface AppendCase {
  /** Payload bytes of each record (the SDK adds a 32-byte frame). */
  recordBytes: number;
  /** Concurrent appenders (GfsClients). */
  appenders: number;
  /** Records appended per run at most, across all appenders. */
  records: number;
  /** recordAppend calls each appender keeps outstanding. */
  outstanding: number;
}

export interface AppendRun {
  records: number;
  seconds: number;
}

export interface AppendFigure extends AppendCase {
  /** Median of the runs' records/s. */
  recordsPerSecond: number;
  /** The same in payload MiB/s (frames not counted). */
  mibPerSecond: number;
  runs: AppendRun[];
}

export interface AppendSettings {
  /** Records per run of 1 KiB records at most, across all appenders. */
  smallRecords: number;
  /** MiB per run of 64 KiB records at most, across all appenders. */
  largeMiB: number;
  runs: number;
  /** A run starts no record after this long. */
  runSecondsMax: number;
  /** Outstanding calls per appender: 1 KiB and 64 KiB records. */
  smallOutstanding: number;
  largeOutstanding: number;
}

export const APPENDER_COUNTS = [1, 4, 16] as const;
export const SMALL_RECORD_BYTES = KiB;
export const LARGE_RECORD_BYTES = 64 * KiB;

export function appendCases(settings: AppendSettings): AppendCase[] {
  const cases: AppendCase[] = [];
  for (const appenders of APPENDER_COUNTS) {
    cases.push({
      recordBytes: SMALL_RECORD_BYTES,
      appenders,
      records: settings.smallRecords,
      outstanding: settings.smallOutstanding,
    });
  }
  for (const appenders of APPENDER_COUNTS) {
    cases.push({
      recordBytes: LARGE_RECORD_BYTES,
      appenders,
      records: Math.round((settings.largeMiB * MiB) / LARGE_RECORD_BYTES),
      outstanding: settings.largeOutstanding,
    });
  }
  return cases;
}

/** Runs every case against the cluster at `masterUrl`, in directory `dir`. */
export async function measureAppends(
  masterUrl: string,
  dir: string,
  settings: AppendSettings,
  log: (line: string) => void = () => undefined,
): Promise<AppendFigure[]> {
  const figures: AppendFigure[] = [];
  for (const appendCase of appendCases(settings)) {
    const figure = await measureCase(masterUrl, dir, appendCase, settings.runs, settings.runSecondsMax);
    const runs = figure.runs.map((run) => `${run.records} in ${run.seconds.toFixed(2)} s`).join(', ');
    log(
      `append ${sizeLabel(figure.recordBytes)} × ${figure.appenders}: ${figure.recordsPerSecond.toFixed(0)} rec/s, ` +
        `${figure.mibPerSecond.toFixed(1)} MiB/s (${runs})`,
    );
    figures.push(figure);
  }
  return figures;
}

async function measureCase(
  masterUrl: string,
  dir: string,
  appendCase: AppendCase,
  runs: number,
  runSecondsMax: number,
): Promise<AppendFigure> {
  const { recordBytes, appenders, records, outstanding } = appendCase;
  const path = `${dir}/append-${sizeLabel(recordBytes).replace(' ', '')}-${appenders}`;
  const payload = randomBytes(recordBytes);
  // Records per appender: the total split as evenly as it goes.
  const shares = Array.from(
    { length: appenders },
    (_, i) => Math.floor(records / appenders) + (i < records % appenders ? 1 : 0),
  );
  const results: AppendRun[] = [];
  for (let run = 0; run < runs; run++) {
    await settleDisk();
    // Fresh clients each run: new connections and writer ids, like separate application runs.
    const clients = shares.map(() => new GfsClient({ master: masterUrl }));
    try {
      const started = performance.now();
      const stopAt = started + runSecondsMax * 1000;
      const done = await Promise.all(
        clients.map((client, i) => appendMany(client, path, payload, shares[i] ?? 0, outstanding, stopAt)),
      );
      const seconds = (performance.now() - started) / 1000;
      results.push({ records: done.reduce((sum, count) => sum + count, 0), seconds });
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  }
  await checkAndRemove(
    masterUrl,
    path,
    results.reduce((sum, run) => sum + run.records, 0),
    recordBytes,
  );
  const recordsPerSecond = medianOf(results.map((run) => run.records / run.seconds));
  return {
    ...appendCase,
    recordsPerSecond,
    mibPerSecond: (recordsPerSecond * recordBytes) / MiB,
    runs: results,
  };
}

/**
 * Appends up to `count` copies of `payload` with `outstanding` calls in flight, starting none
 * after `stopAtMs` (performance.now() time); resolves with how many were appended.
 */
async function appendMany(
  client: GfsClient,
  path: string,
  payload: Uint8Array,
  count: number,
  outstanding: number,
  stopAtMs: number,
): Promise<number> {
  let started = 0;
  const slot = async () => {
    while (started < count && performance.now() < stopAtMs) {
      started++;
      await client.recordAppend(path, payload);
    }
  };
  await Promise.all(Array.from({ length: Math.min(outstanding, count) }, slot));
  return started;
}

/** Reads the file back once: exactly `expected` records of `recordBytes` each, then removes it. */
async function checkAndRemove(masterUrl: string, path: string, expected: number, recordBytes: number): Promise<void> {
  const client = new GfsClient({ master: masterUrl });
  try {
    let count = 0;
    for await (const record of client.records(path)) {
      if (record.data.byteLength !== recordBytes) {
        throw new Error(`${path}: record at ${record.offset} has ${record.data.byteLength} bytes, not ${recordBytes}`);
      }
      count++;
    }
    if (count !== expected) throw new Error(`${path}: read back ${count} records, appended ${expected}`);
    await client.rm(path);
  } finally {
    await client.close();
  }
}

export function sizeLabel(bytes: number): string {
  return bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes / KiB} KiB`;
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
