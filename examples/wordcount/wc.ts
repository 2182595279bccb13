// The word-count application: the part of MapReduce a user writes (6.824's mrapps/wc.go). The
// framework around it — tasks, partitions, gfs — is in worker.ts and main.ts. The coordinator's
// single-process check uses these same functions, so it checks the distributed plumbing, not a
// second tokenizer.

/** Where the job keeps its files in gfs. */
export const ROOT = '/wordcount';
export const INPUT_DIR = `${ROOT}/input`;
export const INTERMEDIATE_DIR = `${ROOT}/intermediate`;
export const OUTPUT_DIR = `${ROOT}/output`;

/** Reduce partition r's input: every map task appends its words that hash to r here. */
export function intermediatePath(r: number): string {
  return `${INTERMEDIATE_DIR}/part-${r}`;
}

export function outputPath(r: number): string {
  return `${OUTPUT_DIR}/part-${r}`;
}

/**
 * Map with its combiner: the words of one input, counted. A word is a run of letters, as 6.824's
 * strings.FieldsFunc(contents, not unicode.IsLetter), lowercased so "The" and "the" are one word.
 */
export function countWords(text: string, into = new Map<string, number>()): Map<string, number> {
  for (const word of text.toLowerCase().match(/\p{L}+/gu) ?? []) into.set(word, (into.get(word) ?? 0) + 1);
  return into;
}

/** 6.824's ihash: 32-bit FNV-1a of the key's UTF-8 bytes, top bit cleared; the partition is ihash % R. */
export function ihash(key: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key)) hash = Math.imul(hash ^ byte, 0x01000193);
  return (hash >>> 0) & 0x7fffffff;
}

/** One intermediate record: `word\tcount`. */
export function encodePair(word: string, count: number): string {
  return `${word}\t${count}`;
}

export function decodePair(data: string): [string, number] {
  const tab = data.lastIndexOf('\t');
  const count = Number(data.slice(tab + 1));
  if (tab <= 0 || !Number.isSafeInteger(count)) throw new Error(`bad intermediate record ${JSON.stringify(data)}`);
  return [data.slice(0, tab), count];
}

/** A reduce output file: one `word count` line per word, sorted by word (code-unit order). */
export function formatCounts(counts: Map<string, number>): string {
  const words = [...counts.keys()].sort();
  return words.map((word) => `${word} ${counts.get(word)}\n`).join('');
}

export function parseCounts(text: string, into = new Map<string, number>()): Map<string, number> {
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const space = line.lastIndexOf(' ');
    into.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return into;
}
