// One MapReduce task, run as its own process (so its own gfs client), started by main.ts:
//
//   node dist/examples/wordcount/worker.js map <master> <inputPath> <R>
//   node dist/examples/wordcount/worker.js reduce <master> <r>
//
// On success it prints one JSON line of counts on stdout; on failure one line on stderr, exit 1.

import { GfsClient, GfsError } from '../../index.js';
import { countWords, decodePair, encodePair, formatCounts, ihash, intermediatePath, outputPath } from './wc.js';

/**
 * Map: count the input's words (the combiner: one record per distinct word, not per occurrence),
 * then record-append `word\tcount` to the partition of each word. Many map tasks append to the same
 * R files at once; gfs picks each record's offset, so they need no coordination and no locks.
 */
async function map(client: GfsClient, inputPath: string, reduceTasks: number): Promise<object> {
  const counts = countWords((await client.readFile(inputPath)).toString('utf8'));
  // Fire every append before awaiting any: the SDK batches the ones queued behind appends in
  // flight into one append per file, which is where the throughput comes from.
  const appends: Promise<unknown>[] = [];
  let words = 0;
  for (const [word, count] of counts) {
    words += count;
    appends.push(client.recordAppend(intermediatePath(ihash(word) % reduceTasks), encodePair(word, count)));
  }
  // Resolved means durable and visible to every reader: the reduce phase may start after this.
  await Promise.all(appends);
  return { task: 'map', input: inputPath, words, records: counts.size };
}

/**
 * Reduce: sum the counts of each word in partition r and write the sorted result. Record append is
 * at least once — a retried append can land twice in the file — but each copy carries the same
 * record id and records() drops the repeats, so a retry never counts a word twice.
 */
async function reduce(client: GfsClient, r: number): Promise<object> {
  const sums = new Map<string, number>();
  let records = 0;
  try {
    for await (const record of client.records(intermediatePath(r))) {
      const [word, count] = decodePair(record.data.toString('utf8'));
      sums.set(word, (sums.get(word) ?? 0) + count);
      records++;
    }
  } catch (error) {
    // No map task had a word for this partition (tiny inputs): the output is simply empty.
    if (!(error instanceof GfsError && error.code === 'NOT_FOUND')) throw error;
  }
  await client.writeFile(outputPath(r), formatCounts(sums));
  return { task: 'reduce', partition: r, records, words: sums.size };
}

function integer(text: string | undefined, what: string, min: number): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) throw new Error(`${what} must be an integer >= ${min}`);
  return value;
}

async function main(args: string[]): Promise<void> {
  const [kind, master, ...rest] = args;
  if ((kind !== 'map' && kind !== 'reduce') || master === undefined) {
    throw new Error('usage: worker.js map <master> <inputPath> <R> | reduce <master> <r>');
  }
  const client = new GfsClient({ master });
  try {
    const result =
      kind === 'map'
        ? await map(client, rest[0] ?? '', integer(rest[1], 'R', 1))
        : await reduce(client, integer(rest[0], 'r', 0));
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await client.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const what = error instanceof GfsError ? `${error.code}: ${error.message}: ${error.subject}` : String(error);
  process.stderr.write(`wordcount worker ${process.argv.slice(2, 4).join(' ')}: ${what}\n`);
  process.exitCode = 1;
});
