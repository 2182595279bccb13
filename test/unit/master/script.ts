// Drives the pure master state machine from small text scripts, one operation a line:
//   mkdir [-p] PATH · create [-f] [-t] PATH [replication] · mv [-t] FROM TO · rm [-r] [-t] PATH
//   chunk PATH INDEX HANDLE VERSION · version HANDLE VERSION · extend PATH LENGTH · reserve N
//   length PATH LENGTH (truncate) · chmod PATH OCTAL · touch PATH MTIME_MS
//   restore PATH [TO] (the newest trash entry holding PATH, as the route finds it)
//   sweep NOW_MS RETENTION_MS (purges what the sweeper would) · purge NAME...
//   snapshot FROM TO · cow PATH INDEX FROM HANDLE VERSION (copy-on-write: replaceChunk)
//   cow PATH INDEX HANDLE (the same, FROM being the file's chunk at INDEX now, version 1)
// `-t` sends what a delete, overwrite or replacing rename removes to the trash.
// Each line is checked (as the live master does before logging) and, when it passes, applied.
// Time is the line number, so scripts are deterministic.

import { apply } from '../../../master/state/apply.js';
import { check } from '../../../master/state/check.js';
import { expiredTrash, findTrashed } from '../../../master/state/trash.js';
import type { LogRecord, MasterState } from '../../../master/state/types.js';
import { GfsError } from '../../../shared/errors.js';

/** A line as a record; `restore` and `sweep` look at the state, as the live master's routes do. */
export function recordOf(state: MasterState, line: string, mtimeMs: number): LogRecord {
  const words = line.trim().split(/\s+/);
  const args = words.slice(1).filter((word) => !word.startsWith('-'));
  if (words[0] === 'restore') {
    const path = args[0] ?? '';
    const match = findTrashed(state, path);
    return { op: 'restore', name: match?.name ?? '', path, to: args[1] ?? path, mtimeMs };
  }
  if (words[0] === 'cow' && args.length === 3) {
    const entry = state.entries.get(args[0] ?? '');
    const from = entry?.type === 'file' ? (entry.chunks[Number(args[1])] ?? '') : '';
    return { op: 'replaceChunk', path: args[0] ?? '', index: Number(args[1]), from, handle: args[2] ?? '', version: 1 };
  }
  if (words[0] === 'sweep') {
    return { op: 'purge', names: expiredTrash(state, Number(args[0]), Number(args[1]), Number.MAX_SAFE_INTEGER) };
  }
  return parseLine(line, mtimeMs);
}

export function parseLine(line: string, mtimeMs: number): LogRecord {
  const words = line.trim().split(/\s+/);
  const flag = (name: string) => words.includes(name);
  const args = words.slice(1).filter((word) => !word.startsWith('-'));
  const arg = (i: number) => args[i] ?? '';
  const trash = flag('-t') ? { trash: true } : {};
  switch (words[0]) {
    case 'mkdir':
      return { op: 'mkdir', path: arg(0), parents: flag('-p'), mode: 0o755, mtimeMs };
    case 'create':
      return {
        op: 'create',
        path: arg(0),
        overwrite: flag('-f'),
        replication: Number(args[1] ?? 3),
        mode: 0o644,
        mtimeMs,
        ...trash,
      };
    case 'mv':
      return { op: 'rename', from: arg(0), to: arg(1), mtimeMs, ...trash };
    case 'rm':
      return { op: 'delete', path: arg(0), recursive: flag('-r'), mtimeMs, ...trash };
    case 'purge':
      return { op: 'purge', names: args };
    case 'chunk':
      return { op: 'addChunk', path: arg(0), index: Number(arg(1)), handle: arg(2), version: Number(arg(3)) };
    case 'version':
      return { op: 'setVersion', handle: arg(0), version: Number(arg(1)) };
    case 'extend':
      return { op: 'extend', path: arg(0), length: Number(arg(1)), mtimeMs };
    case 'length':
      return { op: 'setLength', path: arg(0), length: Number(arg(1)), mtimeMs };
    case 'chmod':
      return { op: 'chmod', path: arg(0), mode: Number.parseInt(arg(1), 8) };
    case 'touch':
      return { op: 'setMtime', path: arg(0), mtimeMs: Number(arg(1)) };
    case 'reserve':
      return { op: 'reserveHandles', nextHandle: arg(0) };
    case 'snapshot':
      return { op: 'snapshot', from: arg(0), to: arg(1), mtimeMs };
    case 'cow':
      return {
        op: 'replaceChunk',
        path: arg(0),
        index: Number(arg(1)),
        from: arg(2),
        handle: arg(3),
        version: Number(arg(4)),
      };
    default:
      throw new Error(`unknown script line: ${line}`);
  }
}

/** Runs a script; returns the records that were logged and one outcome line per script line. */
export function runScript(state: MasterState, script: string): { records: LogRecord[]; outcomes: string[] } {
  const records: LogRecord[] = [];
  const outcomes: string[] = [];
  const lines = script
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  for (const [i, line] of lines.entries()) {
    try {
      const record = recordOf(state, line, 1000 + i);
      if (check(state, record)) {
        const effects = apply(state, record);
        records.push(record);
        outcomes.push(effects.droppedHandles.length > 0 ? `ok dropped=${effects.droppedHandles.join(',')}` : 'ok');
      } else {
        outcomes.push('noop');
      }
    } catch (error) {
      if (!(error instanceof GfsError)) throw error;
      outcomes.push(error.code);
    }
  }
  return { records, outcomes };
}

/** The trash table as `name path deletedAtMs` lines, in deletion order. */
export function trashLines(state: MasterState): string[] {
  return [...state.trash].map(([name, info]) => `${name} ${info.path} ${info.deletedAtMs}`);
}

/** The namespace as sorted `path type [length chunks]` lines, for compact assertions. */
export function listing(state: MasterState): string[] {
  return [...state.entries]
    .map(([path, entry]) =>
      entry.type === 'dir' ? `${path} dir` : `${path} file ${entry.length} [${entry.chunks.join(',')}]`,
    )
    .sort();
}
