// `npm run example:wordcount`: the MapReduce word count of MIT 6.824's lab 1, over gfs. The
// coordinator: starts a local cluster (or uses $GFS_MASTER), uploads the input, runs the map tasks
// then the reduce tasks as worker processes, and checks the output against a count made here in
// one process. See README.md.
//
//   node dist/examples/wordcount/main.js [FILE...]    (no FILE: a generated corpus)

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchCluster, startCluster } from '../../bench/cluster.js';
import { GfsClient, GfsError } from '../../index.js';
import {
  countWords,
  formatCounts,
  INPUT_DIR,
  INTERMEDIATE_DIR,
  OUTPUT_DIR,
  outputPath,
  parseCounts,
  ROOT,
} from './wc.js';

/** Map tasks run at most this many at once (there is one map task per input file). */
const MAP_WORKERS = 4;
/** R: reduce tasks, so intermediate partitions and output files. */
const REDUCE_TASKS = 3;
const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

interface Input {
  name: string;
  text: string;
}

/** What a worker prints on success (see worker.ts). */
interface TaskResult {
  words: number;
  records: number;
}

// Everything to undo on the way out, whether the run ends, fails or is interrupted.
const workers = new Set<ChildProcess>();
let cluster: BenchCluster | undefined;
let scratchDir: string | undefined;
let cleaning: Promise<void> | undefined;

function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const worker of workers) worker.kill('SIGTERM');
    await cluster?.stop();
    if (scratchDir !== undefined) await rm(scratchDir, { recursive: true, force: true });
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`wordcount: ${signal}, stopping\n`);
    void cleanUp().finally(() => process.exit(130));
  });
}

async function main(files: string[]): Promise<number> {
  const started = performance.now();
  const inputs = files.length > 0 ? await readInputs(files) : generateCorpus();
  const inputBytes = inputs.reduce((sum, input) => sum + Buffer.byteLength(input.text), 0);
  const clusterStarting = performance.now();
  try {
    const master = process.env.GFS_MASTER || (await startLocalCluster());
    const clusterReady = performance.now();

    const client = new GfsClient({ master });
    try {
      const inputPaths = await upload(client, inputs);
      const uploaded = performance.now();

      // Map phase: one task per input file, MAP_WORKERS at a time; reduce waits for every map.
      const maps = await runTasks(
        inputPaths.map((path) => ['map', master, path, String(REDUCE_TASKS)]),
        MAP_WORKERS,
      );
      const mapped = performance.now();
      const reduces = await runTasks(
        Array.from({ length: REDUCE_TASKS }, (_, r) => ['reduce', master, String(r)]),
        REDUCE_TASKS,
      );
      const reduced = performance.now();

      // The job's result, from gfs, against the same count made here in one process.
      const actual = new Map<string, number>();
      const unsorted: string[] = [];
      for (let r = 0; r < REDUCE_TASKS; r++) {
        const text = (await client.readFile(outputPath(r))).toString('utf8');
        if (formatCounts(parseCounts(text)) !== text) unsorted.push(outputPath(r));
        parseCounts(text, actual);
      }
      const expected = new Map<string, number>();
      for (const input of inputs) countWords(input.text, expected);

      const sum = (results: TaskResult[], key: keyof TaskResult) =>
        results.reduce((total, each) => total + each[key], 0);
      const secs = (from: number, to: number) => `${((to - from) / 1000).toFixed(2)} s`;
      const number = (value: number) => value.toLocaleString('en-US');
      console.log(`wordcount over gfs at ${master}`);
      console.log(`  input          ${inputs.length} files, ${number(inputBytes)} bytes (${INPUT_DIR})`);
      console.log(`  tasks          ${inputs.length} map (at most ${MAP_WORKERS} at a time), ${REDUCE_TASKS} reduce`);
      console.log(`  words          ${number(sum(maps, 'words'))}`);
      console.log(`  distinct words ${number(actual.size)}`);
      console.log(
        `  records        ${number(sum(maps, 'records'))} appended by map, ${number(sum(reduces, 'records'))} read by reduce`,
      );
      console.log(
        `  time           ${cluster === undefined ? '' : `cluster start ${secs(clusterStarting, clusterReady)}, `}` +
          `upload ${secs(clusterReady, uploaded)}, ` +
          `map ${secs(uploaded, mapped)}, reduce ${secs(mapped, reduced)}, total ${secs(started, performance.now())}`,
      );

      const wrong = differences(expected, actual);
      if (wrong.length === 0 && unsorted.length === 0) {
        console.log(`OK: ${OUTPUT_DIR} matches the single-process count`);
        return 0;
      }
      if (unsorted.length > 0) console.log(`MISMATCH: not sorted: ${unsorted.join(', ')}`);
      if (wrong.length > 0) console.log(`MISMATCH: ${wrong.length} words differ; the first:`);
      for (const line of wrong.slice(0, 10)) console.log(`  ${line}`);
      return 1;
    } finally {
      await client.close();
    }
  } finally {
    await cleanUp();
  }
}

/** A master and 3 chunkservers in a temporary directory, as `gfs cluster` runs them. */
async function startLocalCluster(): Promise<string> {
  scratchDir = await mkdtemp(join(tmpdir(), 'gfs-wordcount-'));
  // Small chunks, so the intermediate files span several chunks and appends meet chunk ends.
  cluster = await startCluster(join(scratchDir, 'cluster'), Number(process.env.GFS_EXAMPLE_PORT ?? 7370), '256KiB');
  return cluster.masterUrl;
}

/** A fresh /wordcount with the inputs in it (a rerun on a kept cluster must not see old records). */
async function upload(client: GfsClient, inputs: Input[]): Promise<string[]> {
  try {
    await client.rm(ROOT, { recursive: true });
  } catch (error) {
    if (!(error instanceof GfsError && error.code === 'NOT_FOUND')) throw error;
  }
  for (const dir of [INPUT_DIR, INTERMEDIATE_DIR, OUTPUT_DIR]) await client.mkdir(dir, { recursive: true });
  const paths = inputs.map((input) => `${INPUT_DIR}/${input.name}`);
  await Promise.all(inputs.map((input, i) => client.writeFile(paths[i] ?? '', input.text)));
  return paths;
}

/** Runs worker processes, `parallel` at a time; rejects with the first that fails. */
async function runTasks(tasks: string[][], parallel: number): Promise<TaskResult[]> {
  const results: TaskResult[] = [];
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (next < tasks.length && !failed) {
      const i = next++;
      try {
        results[i] = await runWorker(tasks[i] ?? []);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, tasks.length) }, lane));
  return results;
}

function runWorker(args: string[]): Promise<TaskResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    workers.add(child);
    let output = '';
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      output += text;
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      workers.delete(child);
      const task = `${args[0]} ${args[2]}`;
      if (code === 0) resolve(JSON.parse(output) as TaskResult);
      else reject(new Error(`worker ${task} failed (${signal ?? `exit code ${code}`})`));
    });
  });
}

function differences(expected: Map<string, number>, actual: Map<string, number>): string[] {
  const words = [...new Set([...expected.keys(), ...actual.keys()])].sort();
  return words
    .filter((word) => expected.get(word) !== actual.get(word))
    .map((word) => `${word}: expected ${expected.get(word) ?? 'nothing'}, got ${actual.get(word) ?? 'nothing'}`);
}

async function readInputs(files: string[]): Promise<Input[]> {
  // The index keeps two files of the same name apart.
  return Promise.all(
    files.map(async (file, i) => ({ name: `${i}-${basename(file)}`, text: await readFile(file, 'utf8') })),
  );
}

/**
 * 8 files of ~200 KB of sentences, the same on every run and machine: words from a fixed made-up
 * vocabulary, drawn by a seeded PRNG with Zipf-like frequencies (a few words very common, most
 * rare) as in real text; capitals and punctuation give the tokenizer something to do.
 */
function generateCorpus(): Input[] {
  const random = mulberry32(6824);
  const consonants = 'bcdfghjklmnprstvwz';
  const vowels = 'aeiou';
  const pickFrom = (letters: string) => letters[Math.floor(random() * letters.length)] ?? '';
  const vocabulary = new Set<string>();
  while (vocabulary.size < 20_000) {
    let word = '';
    for (let syllables = 1 + Math.floor(random() * 4); syllables > 0; syllables--) {
      word += pickFrom(consonants) + pickFrom(vowels);
    }
    vocabulary.add(word);
  }
  const words = [...vocabulary];
  // Rank ~ 1/x: e^(uniform * ln V) is log-uniform over [1, V).
  const pickWord = () => words[Math.floor(Math.exp(random() * Math.log(words.length))) - 1] ?? '';

  return Array.from({ length: 8 }, (_, file) => {
    const lines: string[] = [];
    for (let bytes = 0; bytes < 200_000; ) {
      const sentence = Array.from({ length: 4 + Math.floor(random() * 12) }, () =>
        random() < 0.1 ? `${pickWord()},` : pickWord(),
      ).join(' ');
      const line = `${sentence.charAt(0).toUpperCase()}${sentence.slice(1).replace(/,$/, '')}.`;
      lines.push(line);
      bytes += line.length + 1;
    }
    return { name: `text-${file}.txt`, text: `${lines.join('\n')}\n` };
  });
}

/** A small seeded PRNG (mulberry32): Math.random cannot be seeded. */
function mulberry32(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const what = error instanceof GfsError ? `${error.code}: ${error.message}: ${error.subject}` : String(error);
    process.stderr.write(`wordcount: ${what}\n`);
    process.exitCode = 1;
  },
);
