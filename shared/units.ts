// Sizes (`4096`, `64KiB`, `1MiB`, `64M`, `1G`) and durations (`500ms`, `10s`, `5m`, `3d`, `0`) as the
// CLI accepts them (DESIGN §7). Binary units throughout: `M` means MiB, as in most storage tools.

import { GfsError } from './errors.js';

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

const DURATION_UNITS_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim());
  const unit = match ? SIZE_UNITS[(match[2] ?? '').toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new GfsError('INVALID_ARGUMENT', 'not a size (e.g. 4096, 64KiB, 1G)', text);
  const bytes = Math.round(Number(match[1]) * unit);
  if (!Number.isSafeInteger(bytes)) throw new GfsError('INVALID_ARGUMENT', 'size out of range', text);
  return bytes;
}

export function parseDuration(text: string): number {
  // A bare 0 needs no unit (`--trash-retention 0`); any other bare number is ambiguous.
  if (text.trim() === '0') return 0;
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text.trim());
  const unit = match ? DURATION_UNITS_MS[match[2] ?? ''] : undefined;
  if (!match || unit === undefined) {
    throw new GfsError('INVALID_ARGUMENT', 'not a duration (e.g. 500ms, 10s, 5m, 3d)', text);
  }
  return Math.round(Number(match[1]) * unit);
}

/** Human-readable size for progress and status output, never for parsing. */
export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The largest unit that divides `bytes` exactly (`67108864` → `64MiB`): parseSize reads it back. */
export function formatSizeExact(bytes: number): string {
  return formatExact(bytes, [
    ['TiB', 1024 ** 4],
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ]);
}

/** The largest unit that divides `ms` exactly (`259200000` → `3d`): parseDuration reads it back. */
export function formatDurationExact(ms: number): string {
  if (ms === 0) return '0';
  return formatExact(
    ms,
    [
      ['d', 86_400_000],
      ['h', 3_600_000],
      ['m', 60_000],
      ['s', 1000],
    ],
    'ms',
  );
}

function formatExact(value: number, units: readonly (readonly [string, number])[], smallest = ''): string {
  for (const [name, size] of units) {
    if (value !== 0 && value % size === 0) return `${value / size}${name}`;
  }
  return `${value}${smallest}`;
}
