// Option-value parsers for commander: sizes, durations, ports, counts, percentages (shared/units.ts),
// master URLs and advertised addresses; a bad value is a usage error (exit 2), reported in one line
// like every other. The same parsers read values from the environment and the config file.

import { InvalidArgumentError, type Option } from 'commander';
import { parseHostPort } from '../../shared/host-port.js';
import { isLogLevel, LOG_LEVELS, type LogLevel } from '../../shared/log.js';
import { formatDurationExact, formatSizeExact, parseDuration, parseSize } from '../../shared/units.js';
import { masterUrl } from './targets.js';

export function sizeOption(text: string): number {
  return wrap(() => parseSize(text));
}

export function durationOption(text: string): number {
  return wrap(() => parseDuration(text));
}

export function portOption(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) throw new InvalidArgumentError('not a port number (0-65535)');
  return port;
}

export function countOption(text: string): number {
  const count = Number(text);
  if (!/^\d+$/.test(text) || count < 1 || !Number.isSafeInteger(count)) {
    throw new InvalidArgumentError('not a positive whole number');
  }
  return count;
}

/** Percentage points, e.g. `10` or `2.5`: more than 0, at most 100. */
export function percentOption(text: string): number {
  const percent = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || percent <= 0 || percent > 100) {
    throw new InvalidArgumentError('not a percentage (more than 0, at most 100)');
  }
  return percent;
}

/** `http://host:port`, or `host:port` (http:// is added). */
export function masterOption(text: string): string {
  const bad = new InvalidArgumentError('not a master address (e.g. http://10.0.0.1:7070 or 10.0.0.1:7070)');
  const match = /^(https?:\/\/)?(.*?)\/*$/.exec(text.trim());
  if (match === null || (match[1] === undefined && text.includes('://'))) throw bad;
  try {
    parseHostPort(match[2] ?? '');
  } catch {
    throw bad;
  }
  return masterUrl(text);
}

/** `host` or `host:port` (`[v6]:port`) others use to reach a server; the port defaults to the bound one. */
export function advertiseOption(text: string): string {
  return wrap(() => {
    parseHostPort(text);
    return text.trim();
  });
}

/** Help shows a default in the unit one would type (`10s`, `64MiB`), not in milliseconds or bytes. */
export function describeDefault(option: Option): void {
  if (typeof option.defaultValue !== 'number' || option.defaultValueDescription !== undefined) return;
  if (option.parseArg === durationOption) option.defaultValueDescription = formatDurationExact(option.defaultValue);
  if (option.parseArg === sizeOption) option.defaultValueDescription = formatSizeExact(option.defaultValue);
}

/** `--log-level`: one of pino's levels, or `silent`. */
export function logLevelOption(text: string): LogLevel {
  if (!isLogLevel(text)) throw new InvalidArgumentError(`not a log level (${LOG_LEVELS.join(', ')})`);
  return text;
}

/** The help text of `--log-level`, the same on every command that logs. */
export const LOG_LEVEL_HELP =
  'least severe log lines written: fatal … trace, or silent (default: GFS_LOG_LEVEL, else info)';

function wrap<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** Writes lines to stdout in one call, each ending in a newline. */
export function printLines(lines: readonly string[]): void {
  if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
}

/** `--insecure` / `--secret-file` of a server, as its start options take them. */
export function securityOf(flags: { insecure?: boolean; secretFile?: string }): {
  insecure?: boolean;
  secretFile?: string;
} {
  return {
    ...(flags.insecure === true ? { insecure: true } : {}),
    ...(flags.secretFile === undefined ? {} : { secretFile: flags.secretFile }),
  };
}
