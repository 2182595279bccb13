// Timing helpers for the benchmark: wall-clock seconds of an async action, commands run to
// completion, and a fixed number of operations kept at a given number in flight.

import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';

export async function seconds(action: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await action();
  return (performance.now() - started) / 1000;
}

/** Runs a command; stdout goes to `stdoutPath`'s fd when given (e.g. /dev/null), else ignored. */
export async function run(command: string, args: readonly string[], stdoutFd?: number): Promise<void> {
  const child = spawn(command, args, { stdio: ['ignore', stdoutFd ?? 'ignore', 'inherit'] });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}`);
}

/** Runs `count` operations with `inFlight` of them outstanding at any time; returns ops/s. */
export async function opsPerSecond(
  count: number,
  inFlight: number,
  operation: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < count) await operation(next++);
  };
  const elapsed = await seconds(() => Promise.all(Array.from({ length: inFlight }, worker)));
  return count / elapsed;
}

/**
 * Writes dirty page-cache data back to disk (`sync`), so the writeback an earlier run left behind
 * does not land on the next one: runs compared with each other start from the same state.
 */
export async function settleDisk(): Promise<void> {
  await run('sync', []);
}

/** Median wall time of `runs` runs, each after `sync` (and `before`, when given). */
export async function median(
  runs: number,
  action: () => Promise<unknown>,
  before?: () => Promise<void>,
): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    await settleDisk();
    await before?.();
    times.push(await seconds(action));
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

/** Runs a command with its stdout on /dev/null (through sh, so nothing is read in this process). */
export function runToNull(command: string, args: string[]): Promise<void> {
  return run('sh', ['-c', '"$0" "$@" > /dev/null', command, ...args]);
}

/** The page cache, so a read comes through the file system and not from memory. */
export async function dropCaches(): Promise<void> {
  await writeFile('/proc/sys/vm/drop_caches', '3\n').catch(() => undefined);
}

/** Median seconds of `a` and of `b`, run alternately `runs` times each, every run after `sync`. */
export async function takingTurns(
  runs: number,
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  before?: () => Promise<void>,
): Promise<[number, number]> {
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < runs; i++) {
    // Who goes first swaps every run: going first or second (a disk still writing back the other
    // side's bytes, caches the other side warmed) must not favour either side.
    const order: (0 | 1)[] = i % 2 === 0 ? [0, 1] : [1, 0];
    for (const side of order) {
      await settleDisk();
      await before?.();
      times[side].push(await seconds(side === 0 ? a : b));
    }
  }
  const middle = (values: number[]) => values.sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? Number.NaN;
  return [middle(times[0]), middle(times[1])];
}
