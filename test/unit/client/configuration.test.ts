// The configuration layer through the real program: which value a command's action sees for a
// flag, a GFS_* variable, a config-file key and a default, and the one-line error for a bad one.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Command, CommanderError } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { configKey, envVarName } from '../../../client/cli/config/names.js';
import { buildProgram } from '../../../client/cli/program.js';
import { DEFAULT_MASTER } from '../../../client/cli/targets.js';

let dir: string;
const setEnv: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gfs-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  for (const name of setEnv.splice(0)) delete process.env[name];
});

function env(values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values)) {
    if (process.env[name] !== undefined) throw new Error(`${name} is set in the test's environment`);
    process.env[name] = value;
    setEnv.push(name);
  }
}

async function configFile(content: unknown): Promise<string> {
  const path = join(dir, `config-${setEnv.length}-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

interface Seen {
  options: Record<string, unknown>;
  sources: Record<string, string | undefined>;
}

/** Parses `args` as `gfs` would and returns what the command's action received. */
async function seenBy(commandName: string, args: string[]): Promise<Seen> {
  const program = buildProgram();
  const command = program.commands.find((each) => each.name() === commandName) as Command;
  let seen: Seen | undefined;
  command.action((...received: unknown[]) => {
    const self = received.at(-1) as Command;
    const options = self.optsWithGlobals();
    const sources: Record<string, string | undefined> = {};
    for (const key of Object.keys(options)) sources[key] = self.getOptionValueSourceWithGlobals(key);
    seen = { options, sources };
  });
  await program.parseAsync(args, { from: 'user' });
  if (seen === undefined) throw new Error('the action did not run');
  return seen;
}

/** The one line and exit code `gfs` would print for `args`. */
async function failureOf(commandName: string, args: string[]): Promise<{ exitCode: number; message: string }> {
  try {
    await seenBy(commandName, args);
  } catch (error) {
    if (error instanceof CommanderError) return { exitCode: error.exitCode, message: error.message };
    throw error;
  }
  throw new Error(`gfs ${args.join(' ')} did not fail`);
}

const MASTER_REQUIRED = ['--port', '7070', '--data', '/tmp/m'];

describe('precedence: flag > environment > config file > default', () => {
  it('takes the default when nothing else says', async () => {
    const { options, sources } = await seenBy('master', ['master', ...MASTER_REQUIRED]);
    expect(options.deadAfter).toBe(10_000);
    expect(sources.deadAfter).toBe('default');
  });

  it('takes the config file over the default, the variable over both, the flag over all', async () => {
    const path = await configFile({ master: { 'dead-after': '20s', lease: '30s', replication: 2 } });
    env({ GFS_CONFIG: path, GFS_LEASE: '40s', GFS_REPLICATION: '1' });
    const { options, sources } = await seenBy('master', ['master', ...MASTER_REQUIRED, '--replication', '3']);
    expect([options.deadAfter, sources.deadAfter]).toEqual([20_000, 'config']);
    expect([options.lease, sources.lease]).toEqual([40_000, 'env']);
    expect([options.replication, sources.replication]).toEqual([3, 'cli']);
  });

  it('lets the config file give required options (port, data) and --config name the file', async () => {
    const path = await configFile({ chunkserver: { port: 7071, data: '/srv/cs', rack: 'r2', heartbeat: '500ms' } });
    const { options } = await seenBy('chunkserver', ['chunkserver', '--config', path]);
    expect(options).toMatchObject({ port: 7071, data: '/srv/cs', rack: 'r2', heartbeat: 500 });
  });

  it('reads --master from "client", a command section overriding it, and GFS_MASTER over both', async () => {
    const path = await configFile({
      client: { master: '10.0.0.1:7070' },
      chunkserver: { master: 'http://10.0.0.9:7070' },
    });
    expect((await seenBy('ls', ['--config', path, 'ls'])).options.master).toBe('http://10.0.0.1:7070');
    expect(
      (await seenBy('chunkserver', ['chunkserver', '--port', '1', '--data', 'd', '--config', path])).options.master,
    ).toBe('http://10.0.0.9:7070');
    env({ GFS_MASTER: 'http://env:1' });
    expect((await seenBy('ls', ['--config', path, 'ls'])).options.master).toBe('http://env:1');
    expect((await seenBy('ls', ['ls', '--master', 'flag:2', '--config', path])).options.master).toBe('http://flag:2');
  });

  it('counts an empty variable as unset', async () => {
    env({ GFS_MASTER: '', GFS_DEAD_AFTER: '' });
    expect((await seenBy('ls', ['ls'])).options.master).toBe(DEFAULT_MASTER);
    expect((await seenBy('master', ['master', ...MASTER_REQUIRED])).options.deadAfter).toBe(10_000);
  });

  it('reads a switch from a variable as true or false, and from the file as a JSON boolean', async () => {
    env({ GFS_READ_ONLY: '0' });
    expect((await seenBy('mount', ['mount', '/mnt'])).options.readOnly).toBe(false);
    process.env.GFS_READ_ONLY = 'yes';
    expect((await seenBy('mount', ['mount', '/mnt'])).options.readOnly).toBe(true);
    delete process.env.GFS_READ_ONLY;
    const path = await configFile({ mount: { 'read-only': true } });
    expect((await seenBy('mount', ['--config', path, 'mount', '/mnt'])).options.readOnly).toBe(true);
  });

  it('leaves the options of one-shot commands to flags: GFS_RECURSIVE does not widen an rm', async () => {
    env({ GFS_RECURSIVE: '1', GFS_FORCE: '1' });
    const { options } = await seenBy('rm', ['rm', 'gfs:/a']);
    expect(options.recursive).toBeUndefined();
    expect(options.force).toBeUndefined();
  });

  it('names every configurable option after its flag', async () => {
    const program = buildProgram();
    const cluster = program.commands.find((each) => each.name() === 'cluster') as Command;
    const deadAfter = cluster.options.find((option) => option.long === '--dead-after');
    expect(deadAfter?.envVar).toBe('GFS_DEAD_AFTER');
    expect(deadAfter === undefined ? undefined : [configKey(deadAfter), envVarName(deadAfter)]).toEqual([
      'dead-after',
      'GFS_DEAD_AFTER',
    ]);
  });
});

describe('bad values say where they came from, in one line, as usage errors', () => {
  it('from a variable', async () => {
    env({ GFS_DEAD_AFTER: '10 parsecs' });
    expect(await failureOf('master', ['master', ...MASTER_REQUIRED])).toEqual({
      exitCode: 2,
      message: 'bad GFS_DEAD_AFTER: "10 parsecs": not a duration (e.g. 500ms, 10s, 5m, 3d)',
    });
  });

  it('from a variable holding a switch', async () => {
    env({ GFS_READ_ONLY: 'maybe' });
    const failure = await failureOf('mount', ['mount', '/mnt']);
    expect(failure.message).toMatch(/^bad GFS_READ_ONLY: "maybe": not true or false/);
  });

  it('from the config file', async () => {
    const path = await configFile({ master: { 'dead-after': '10 parsecs' } });
    expect(await failureOf('master', ['master', ...MASTER_REQUIRED, '--config', path])).toEqual({
      exitCode: 2,
      message: `bad master.dead-after in ${path}: "10 parsecs": not a duration (e.g. 500ms, 10s, 5m, 3d)`,
    });
    const port = await configFile({ chunkserver: { port: 70_000 } });
    const failure = await failureOf('chunkserver', ['--config', port, 'chunkserver', '--data', 'd']);
    expect(failure.message).toBe(`bad chunkserver.port in ${port}: "70000": not a port number (0-65535)`);
  });

  it('from a flag', async () => {
    expect((await failureOf('master', ['master', ...MASTER_REQUIRED, '--lease', 'soon'])).message).toBe(
      'bad --lease: "soon": not a duration (e.g. 500ms, 10s, 5m, 3d)',
    );
  });

  it('a bad master address, wherever it comes from', async () => {
    env({ GFS_MASTER: 'http://' });
    expect((await failureOf('ls', ['ls'])).message).toMatch(/^bad GFS_MASTER: "http:\/\/": not a master address/);
  });

  it('an unknown key, an unknown section, a wrong type, bad JSON, a missing file', async () => {
    const cases: [unknown, RegExp][] = [
      [{ master: { 'dead-afterr': '1s' } }, /^unknown key "master\.dead-afterr" in config file: /],
      [
        { ls: { long: true } },
        /^unknown section "ls" in config file \(known: client, master, chunkserver, cluster, mount, gateway\): /,
      ],
      [{ master: { replication: [3] } }, /^bad master\.replication in config file \(a string or a number\): /],
      [{ mount: { 'read-only': 'yes' } }, /^bad mount\.read-only in config file \(true or false\): /],
      [{ master: 'port=1' }, /^section "master" is not an object in config file: /],
      ['{ "master": ', /^config file is not valid JSON \(.*\): /],
      [[], /^config file is not a JSON object of sections: /],
    ];
    for (const [content, expected] of cases) {
      const path = await configFile(content);
      const failure = await failureOf('status', ['--config', path, 'status']);
      expect(failure.exitCode).toBe(2);
      expect(failure.message).toMatch(expected);
      expect(failure.message.endsWith(`: ${path}`)).toBe(true);
    }
    const missing = join(dir, 'missing.json');
    // Help still works while the file is being fixed.
    env({ GFS_CONFIG: missing });
    const help = await failureOf('master', ['master', '--help']);
    expect([help.exitCode, help.message]).toEqual([0, '(outputHelp)']);
    delete process.env.GFS_CONFIG;
    expect(await failureOf('status', ['status', '--config', missing])).toEqual({
      exitCode: 2,
      message: `cannot read config file (no such file): ${missing}`,
    });
  });
});
