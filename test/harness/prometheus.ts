// A strict parser of the Prometheus text exposition format (version 0.0.4), for tests that scrape
// GET /metrics. It throws on the first line a Prometheus server would reject or misread: a sample
// before its family's HELP and TYPE, a family split in two, bad metric or label syntax, a repeated
// series, a negative counter, a histogram without its +Inf bucket or whose buckets shrink or whose
// _count is not its +Inf bucket. https://prometheus.io/docs/instrumenting/exposition_formats/

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  /** The sample's own name: `x_bucket`, `x_sum`, `x_count` for a histogram `x`. */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('exposition does not end with a newline');
  const families = new Map<string, MetricFamily>();
  const helps = new Map<string, string>();
  const closed = new Set<string>();
  let current: MetricFamily | undefined;
  const lines = text.split('\n');
  lines.pop();
  for (const [index, line] of lines.entries()) {
    const where = `line ${index + 1}: ${line}`;
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const match = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (match === null) continue; // an ordinary comment
      const [, keyword, name = '', rest = ''] = match;
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name in ${where}`);
      if (keyword === 'HELP') {
        if (helps.has(name)) throw new Error(`second HELP for ${name} at ${where}`);
        helps.set(name, unescapeHelp(rest, where));
        continue;
      }
      if (!TYPES.has(rest as MetricType)) throw new Error(`unknown type in ${where}`);
      if (families.has(name)) throw new Error(`second TYPE for ${name} at ${where}`);
      const help = helps.get(name);
      if (help === undefined) throw new Error(`TYPE before HELP for ${name} at ${where}`);
      if (current !== undefined) closed.add(current.name);
      current = { name, help, type: rest as MetricType, samples: [] };
      families.set(name, current);
      continue;
    }
    const sample = parseSample(line, where);
    const family = familyOf(sample.name, families);
    if (family === undefined) throw new Error(`sample without HELP and TYPE before it at ${where}`);
    if (family !== current || closed.has(family.name)) throw new Error(`family ${family.name} split at ${where}`);
    checkSampleName(family, sample, where);
    family.samples.push(sample);
  }
  for (const family of families.values()) checkFamily(family);
  return families;
}

/** The family a sample name belongs to: itself, or a histogram's/summary's `_bucket`, `_sum`, `_count`. */
function familyOf(sampleName: string, families: Map<string, MetricFamily>): MetricFamily | undefined {
  const own = families.get(sampleName);
  if (own !== undefined) return own;
  const match = /^(.*)_(bucket|sum|count)$/.exec(sampleName);
  const family = match?.[1] === undefined ? undefined : families.get(match[1]);
  return family?.type === 'histogram' || family?.type === 'summary' ? family : undefined;
}

function checkSampleName(family: MetricFamily, sample: Sample, where: string): void {
  const suffix = sample.name.slice(family.name.length);
  if (family.type === 'histogram') {
    if (suffix === '_bucket') {
      if (sample.labels.le === undefined) throw new Error(`histogram bucket without le at ${where}`);
      parseValue(sample.labels.le, where);
    } else if (suffix !== '_sum' && suffix !== '_count') throw new Error(`histogram sample ${sample.name} at ${where}`);
    else if (sample.labels.le !== undefined) throw new Error(`le outside a bucket at ${where}`);
  } else if (family.type === 'summary') {
    if (suffix === '' && sample.labels.quantile === undefined) throw new Error(`summary without quantile at ${where}`);
  } else if (suffix !== '') throw new Error(`sample ${sample.name} in ${family.type} ${family.name} at ${where}`);
  if (family.type === 'counter' && !(sample.value >= 0)) throw new Error(`counter below zero at ${where}`);
}

function checkFamily(family: MetricFamily): void {
  const seen = new Set<string>();
  for (const sample of family.samples) {
    const key = `${sample.name}${seriesKey(sample.labels)}`;
    if (seen.has(key)) throw new Error(`repeated series ${key}`);
    seen.add(key);
  }
  if (family.type === 'histogram') checkHistogram(family);
}

/** Per label set: cumulative buckets ending at +Inf, a _sum, and a _count equal to the +Inf bucket. */
function checkHistogram(family: MetricFamily): void {
  const series = new Map<string, { buckets: Array<[number, number]>; sum?: number; count?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = seriesKey(rest);
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (le !== undefined) entry.buckets.push([parseValue(le, family.name), sample.value]);
    else if (sample.name.endsWith('_sum')) entry.sum = sample.value;
    else entry.count = sample.value;
  }
  for (const [key, { buckets, sum, count }] of series) {
    const what = `histogram ${family.name}${key}`;
    if (sum === undefined || count === undefined) throw new Error(`${what} lacks _sum or _count`);
    const last = buckets[buckets.length - 1];
    if (last === undefined || last[0] !== Number.POSITIVE_INFINITY) throw new Error(`${what} has no +Inf bucket last`);
    for (let i = 1; i < buckets.length; i++) {
      const [le, value] = buckets[i] as [number, number];
      const [previousLe, previousValue] = buckets[i - 1] as [number, number];
      if (!(le > previousLe)) throw new Error(`${what}: bucket bounds not increasing`);
      if (value < previousValue) throw new Error(`${what}: bucket counts not cumulative`);
    }
    if (last[1] !== count) throw new Error(`${what}: _count ${count} is not the +Inf bucket ${last[1]}`);
  }
}

function seriesKey(labels: Record<string, string>): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((name) => `${name}=${JSON.stringify(labels[name])}`).join(',')}}`;
}

function parseSample(line: string, where: string): Sample {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (nameMatch === null) throw new Error(`bad metric name in ${where}`);
  const name = nameMatch[0];
  let position = name.length;
  const labels: Record<string, string> = {};
  if (line[position] === '{') {
    position++;
    while (line[position] !== '}') {
      const labelMatch = /^([^=]*)="/.exec(line.slice(position));
      if (labelMatch === null) throw new Error(`bad label in ${where}`);
      const labelName = labelMatch[1] ?? '';
      if (!LABEL_NAME.test(labelName) || labelName.startsWith('__')) throw new Error(`bad label name in ${where}`);
      if (labels[labelName] !== undefined) throw new Error(`label ${labelName} twice in ${where}`);
      position += labelMatch[0].length;
      let value = '';
      for (;;) {
        const char = line[position];
        if (char === undefined) throw new Error(`unterminated label value in ${where}`);
        position++;
        if (char === '"') break;
        if (char !== '\\') {
          value += char;
          continue;
        }
        const escaped = line[position++];
        if (escaped === '\\' || escaped === '"') value += escaped;
        else if (escaped === 'n') value += '\n';
        else throw new Error(`bad escape in label value in ${where}`);
      }
      labels[labelName] = value;
      if (line[position] === ',') position++;
      else if (line[position] !== '}') throw new Error(`expected , or } in ${where}`);
    }
    position++;
  }
  if (line[position] !== ' ') throw new Error(`expected a space before the value in ${where}`);
  const fields = line.slice(position + 1).split(' ');
  if (fields.length > 2 || fields[0] === '') throw new Error(`bad value in ${where}`);
  const value = parseValue(fields[0] ?? '', where);
  if (fields[1] !== undefined && !/^-?\d+$/.test(fields[1])) throw new Error(`bad timestamp in ${where}`);
  return { name, labels, value };
}

function parseValue(text: string, where: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad number ${text} in ${where}`);
  return Number(text);
}

function unescapeHelp(text: string, where: string): string {
  return text.replace(/\\(.?)/g, (_all, escaped: string) => {
    if (escaped === '\\') return '\\';
    if (escaped === 'n') return '\n';
    throw new Error(`bad escape in HELP in ${where}`);
  });
}

/** The value of one series (a sample with exactly these labels), or undefined. */
export function sampleValue(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const family = familyOf(name, families);
  const key = seriesKey(labels);
  return family?.samples.find((sample) => sample.name === name && seriesKey(sample.labels) === key)?.value;
}

/** The sum of every series of a sample name whose labels include `labels`. */
export function sampleSum(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const family = familyOf(name, families);
  let sum = 0;
  for (const sample of family?.samples ?? []) {
    if (sample.name !== name) continue;
    if (Object.entries(labels).every(([label, value]) => sample.labels[label] === value)) sum += sample.value;
  }
  return sum;
}
