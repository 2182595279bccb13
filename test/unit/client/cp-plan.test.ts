import { describe, expect, it } from 'vitest';
import { type DestInfo, planCopy, type SourceInfo, temporaryName } from '../../../client/cli/cp-plan.js';
import { codeOf } from '../../harness/error-code.js';

const file = (name: string): SourceInfo => ({ display: name, baseName: name, type: 'file' });
const dir = (name: string): SourceInfo => ({ display: name, baseName: name, type: 'dir' });
const stdin: SourceInfo = { display: '-', baseName: '', type: 'stdin' };

describe('planCopy', () => {
  const existingDir: DestInfo = { type: 'dir', display: 'gfs:/d' };
  const existingFile: DestInfo = { type: 'file', display: 'gfs:/f' };
  const newName: DestInfo = { type: 'missing', display: 'gfs:/d/new', parentType: 'dir' };

  it('copies into an existing directory under the source name', () => {
    const steps = planCopy([file('a'), file('b')], existingDir, false);
    expect(steps.map((step) => step.target)).toEqual([{ intoDirectory: true }, { intoDirectory: true }]);
  });

  it('copies to a new name whose parent exists, or over an existing file', () => {
    expect(planCopy([file('a')], newName, false)[0]?.target).toEqual({ intoDirectory: false });
    expect(planCopy([file('a')], existingFile, false)[0]?.target).toEqual({ intoDirectory: false });
    expect(planCopy([stdin], newName, false)[0]?.target).toEqual({ intoDirectory: false });
  });

  it('refuses a missing parent, several sources into a non-directory, and directories without -r', () => {
    expect(codeOf(() => planCopy([file('a')], { type: 'missing', display: 'x', parentType: 'missing' }, false))).toBe(
      'NOT_FOUND',
    );
    expect(codeOf(() => planCopy([file('a')], { type: 'missing', display: 'x', parentType: 'file' }, false))).toBe(
      'NOT_A_DIRECTORY',
    );
    expect(codeOf(() => planCopy([file('a'), file('b')], newName, false))).toBe('NOT_A_DIRECTORY');
    expect(codeOf(() => planCopy([file('a'), file('b')], existingFile, false))).toBe('NOT_A_DIRECTORY');
    expect(codeOf(() => planCopy([dir('t')], existingDir, false))).toBe('IS_A_DIRECTORY');
    expect(codeOf(() => planCopy([dir('t')], existingFile, true))).toBe('NOT_A_DIRECTORY');
    expect(codeOf(() => planCopy([stdin], existingDir, false))).toBe('INVALID_ARGUMENT');
  });

  it('copies directories with -r and sends files to stdout', () => {
    expect(planCopy([dir('t')], newName, true)[0]?.target).toEqual({ intoDirectory: false });
    expect(planCopy([dir('t')], existingDir, true)[0]?.target).toEqual({ intoDirectory: true });
    expect(planCopy([file('a'), stdin], { type: 'stdout' }, false).map((step) => step.target)).toEqual([
      undefined,
      undefined,
    ]);
    expect(codeOf(() => planCopy([dir('t')], { type: 'stdout' }, true))).toBe('IS_A_DIRECTORY');
  });

  it('names temporaries as hidden siblings', () => {
    expect(temporaryName('report.csv', 'ab12')).toBe('.report.csv.gfs-tmp-ab12');
  });
});
