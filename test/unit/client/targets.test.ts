import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { CliContext, describeError } from '../../../client/cli/context.js';
import { buildProgram } from '../../../client/cli/program.js';
import { DEFAULT_MASTER, masterUrl, parseClusterTarget, parseTarget } from '../../../client/cli/targets.js';
import { GfsError } from '../../../shared/errors.js';

describe('master resolution', () => {
  it('turns host:port into a URL', () => {
    expect(masterUrl('http://m:1')).toBe('http://m:1');
    expect(masterUrl('e:2')).toBe('http://e:2');
    expect(masterUrl('host:9/')).toBe('http://host:9');
  });

  async function masterSeenBy(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
    const saved = process.env.GFS_MASTER;
    process.env.GFS_MASTER = env.GFS_MASTER ?? '';
    try {
      const program = buildProgram();
      let seen = '';
      const ls = program.commands.find((command) => command.name() === 'ls') as Command;
      ls.action((_path: string, _options: unknown, command: Command) => {
        seen = CliContext.of(command).defaultMaster;
      });
      await program.parseAsync(args, { from: 'user' });
      return seen;
    } finally {
      if (saved === undefined) delete process.env.GFS_MASTER;
      else process.env.GFS_MASTER = saved;
    }
  }

  it('accepts --master before or after the command name', async () => {
    expect(await masterSeenBy(['--master', 'http://a:1', 'ls', 'gfs:/'])).toBe('http://a:1');
    expect(await masterSeenBy(['ls', '--master', 'http://b:2', 'gfs:/'])).toBe('http://b:2');
    expect(await masterSeenBy(['ls', 'gfs:/', '--master=c:3'])).toBe('http://c:3');
    expect(await masterSeenBy(['ls', 'gfs:/'], { GFS_MASTER: 'http://env:4' })).toBe('http://env:4');
    expect(await masterSeenBy(['ls', 'gfs:/'])).toBe(DEFAULT_MASTER);
  });
});

describe('path arguments', () => {
  const master = 'http://m:1';

  it('tells cluster, local and stdio paths apart', () => {
    expect(parseTarget('-', master)).toEqual({ kind: 'stdio', display: '-' });
    expect(parseTarget('./x', master)).toEqual({ kind: 'local', path: './x', display: './x' });
    expect(parseTarget('/tmp/x', master)).toMatchObject({ kind: 'local', path: '/tmp/x' });
    expect(parseTarget('gfs:/a//b/', master)).toMatchObject({ kind: 'cluster', master, path: '/a/b' });
    expect(parseTarget('gfs:', master)).toMatchObject({ kind: 'cluster', master, path: '/' });
  });

  it('lets gfs://host:port name its own master', () => {
    expect(parseTarget('gfs://other:9/a', master)).toMatchObject({
      kind: 'cluster',
      master: 'http://other:9',
      path: '/a',
    });
  });

  it('reaches gfs://host:port with the scheme of the default master (a cluster is all TLS or all plain)', () => {
    expect(parseTarget('gfs://other:9/a', 'https://m:1')).toMatchObject({ master: 'https://other:9', path: '/a' });
  });

  it('takes plain absolute paths as cluster paths for cluster-only commands', () => {
    expect(parseClusterTarget('/a/b/', master)).toMatchObject({ kind: 'cluster', master, path: '/a/b' });
    expect(() => parseClusterTarget('rel/x', master)).toThrow(GfsError);
    expect(() => parseTarget('gfs:/a/../b', master)).toThrow(GfsError);
  });
});

describe('error lines', () => {
  it('are one line: gfs: <what failed>: <subject>', () => {
    expect(describeError(new GfsError('NOT_FOUND', 'no such file', '/a'))).toBe('gfs: no such file: /a');
    expect(describeError(new GfsError('NOT_FOUND', 'HTTP 404', '/a'))).toBe('gfs: no such file or directory: /a');
    expect(describeError(Object.assign(new Error('x'), { code: 'ENOENT', path: 'f' }))).toBe(
      'gfs: no such file or directory: f',
    );
    expect(describeError(new GfsError('INTERNAL', 'two\nlines', 'h:1'))).toBe('gfs: two lines: h:1');
  });
});
