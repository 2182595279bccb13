// Where clients find their token (client/sdk/credentials.ts): an explicit one, GFS_TOKEN, the
// credentials file's entry for the master; the file's place, mode and atomic concurrent updates.

import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configDir, credentialsPath, resolveToken, savedToken, saveToken } from '../../../client/sdk/credentials.js';

let dir: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gfs-credentials-'));
  env = { GFS_CONFIG_DIR: join(dir, 'config') };
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('credentials', () => {
  it('live in GFS_CONFIG_DIR, else XDG_CONFIG_HOME/gfs, else ~/.config/gfs', () => {
    expect(configDir({ GFS_CONFIG_DIR: '/a' })).toBe('/a');
    expect(configDir({ XDG_CONFIG_HOME: '/x' })).toBe('/x/gfs');
    expect(configDir({ HOME: '/h' })).toMatch(/\.config\/gfs$/);
  });

  it('keep one token per master however its address is written, owner-only', async () => {
    await saveToken('127.0.0.1:7070', 'gfsuser.one.x', 'alice', env);
    await saveToken('http://127.0.0.1:7071/', 'gfsuser.two.x', undefined, env);
    expect(savedToken('http://127.0.0.1:7070', env)).toBe('gfsuser.one.x');
    expect(savedToken('127.0.0.1:7071', env)).toBe('gfsuser.two.x');
    expect(savedToken('127.0.0.1:7072', env)).toBeUndefined();
    expect((await stat(credentialsPath(env))).mode & 0o777).toBe(0o600);
  });

  it('prefer an explicit token, then GFS_TOKEN, then the file', async () => {
    await saveToken('127.0.0.1:7070', 'from-file', undefined, env);
    expect(resolveToken('explicit', '127.0.0.1:7070', { ...env, GFS_TOKEN: 'from-env' })).toBe('explicit');
    expect(resolveToken(undefined, '127.0.0.1:7070', { ...env, GFS_TOKEN: 'from-env' })).toBe('from-env');
    expect(resolveToken(undefined, '127.0.0.1:7070', env)).toBe('from-file');
    expect(resolveToken(undefined, '127.0.0.1:9', env)).toBeUndefined();
  });

  it('lose no entry when many writers save at once', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => saveToken(`127.0.0.1:${8000 + i}`, `token-${i}`, undefined, env)),
    );
    const file = JSON.parse(await readFile(credentialsPath(env), 'utf8')) as { masters: Record<string, unknown> };
    expect(Object.keys(file.masters)).toHaveLength(20);
  });

  it('say which file is broken', async () => {
    await saveToken('127.0.0.1:7070', 't', undefined, env);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(credentialsPath(env), 'not json');
    expect(() => savedToken('127.0.0.1:7070', env)).toThrow(/credentials file is not JSON/);
  });
});
