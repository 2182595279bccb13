// POSIX cp's destination rules as a pure function (DESIGN §7): a copy goes into an existing
// directory under the source's name, or to a new name whose parent directory exists, or over an
// existing file; several sources need a directory; directories need -r.

import { GfsError } from '../../shared/errors.js';

export interface SourceInfo {
  display: string;
  /** Name the copy gets inside a destination directory. */
  baseName: string;
  type: 'file' | 'dir' | 'stdin';
}

export type DestInfo =
  | { type: 'stdout' }
  | { type: 'dir' | 'file'; display: string }
  | { type: 'missing'; display: string; parentType: 'dir' | 'file' | 'missing' };

export interface CopyPlanStep {
  source: SourceInfo;
  /** Where the copy goes; `undefined` means stdout. */
  target: { intoDirectory: boolean } | undefined;
}

export function planCopy(sources: readonly SourceInfo[], dest: DestInfo, recursive: boolean): CopyPlanStep[] {
  for (const source of sources) {
    if (source.type === 'dir' && !recursive) {
      throw new GfsError('IS_A_DIRECTORY', '-r not specified; omitting directory', source.display);
    }
  }
  if (dest.type === 'stdout') {
    for (const source of sources) {
      if (source.type === 'dir')
        throw new GfsError('IS_A_DIRECTORY', 'cannot copy a directory to stdout', source.display);
    }
    return sources.map((source) => ({ source, target: undefined }));
  }
  if (dest.type === 'dir') {
    return sources.map((source) => {
      if (source.type === 'stdin') {
        throw new GfsError('INVALID_ARGUMENT', 'stdin has no name to copy into a directory', dest.display);
      }
      return { source, target: { intoDirectory: true } };
    });
  }
  if (sources.length > 1) throw new GfsError('NOT_A_DIRECTORY', 'target is not a directory', dest.display);
  const [source] = sources;
  if (source === undefined) throw new GfsError('INVALID_ARGUMENT', 'nothing to copy', dest.display);
  if (dest.type !== 'missing') {
    if (source.type === 'dir') {
      throw new GfsError('NOT_A_DIRECTORY', 'cannot overwrite non-directory with directory', dest.display);
    }
    return [{ source, target: { intoDirectory: false } }];
  }
  if (dest.parentType === 'missing') throw new GfsError('NOT_FOUND', 'no such file or directory', dest.display);
  if (dest.parentType === 'file') throw new GfsError('NOT_A_DIRECTORY', 'not a directory', dest.display);
  return [{ source, target: { intoDirectory: false } }];
}

/** Temporary name next to the final one: hidden, recognisable, unique per run. */
export function temporaryName(finalName: string, random: string): string {
  return `.${finalName}.gfs-tmp-${random}`;
}
