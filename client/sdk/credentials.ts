// Where a client's token comes from (issue 7 item 3), like kubeconfig but smaller: an explicit
// option, else GFS_TOKEN, else the credentials file's entry for the master's URL. The file is
// `credentials.json` in $GFS_CONFIG_DIR, else $XDG_CONFIG_HOME/gfs, else ~/.config/gfs; it is
// owner-only (a token is a password) and replaced atomically under a lock, so concurrent
// `gfs token create --save` runs keep each other's entries.

import { readFileSync } from 'node:fs';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { GfsError } from '../../shared/errors.js';
import { originOf } from '../../shared/http/client.js';

export const TOKEN_ENV = 'GFS_TOKEN';
export const CONFIG_DIR_ENV = 'GFS_CONFIG_DIR';
export const CREDENTIALS_FILE_NAME = 'credentials.json';

/** A lock older than this was left by a process that died holding it. */
const STALE_LOCK_MS = 10_000;
const LOCK_WAIT_MS = 15_000;

export interface CredentialsFile {
  /** Master URL (`http://host:port`, as masterKey makes it) → what a client sends there. */
  masters: Record<string, { token: string; user?: string }>;
}

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const given = env[CONFIG_DIR_ENV];
  if (given !== undefined && given !== '') return given;
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg !== undefined && xdg !== '') return join(xdg, 'gfs');
  return join(homedir(), '.config', 'gfs');
}

export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), CREDENTIALS_FILE_NAME);
}

/** One key per master however its address was written (`host:port`, a URL, a trailing slash). */
export function masterKey(master: string): string {
  return originOf(master).toLowerCase();
}

function parseCredentials(text: string, path: string): CredentialsFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new GfsError('INVALID_ARGUMENT', 'the credentials file is not JSON', path);
  }
  const masters = (parsed as { masters?: unknown } | null)?.masters;
  if (typeof masters !== 'object' || masters === null || Array.isArray(masters)) {
    throw new GfsError('INVALID_ARGUMENT', 'the credentials file has no "masters" object', path);
  }
  return { masters: masters as CredentialsFile['masters'] };
}

function readIfPresent(text: () => string, path: string): CredentialsFile {
  try {
    return parseCredentials(text(), path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { masters: {} };
    throw error;
  }
}

/** The token the file holds for `master`, if any (read synchronously: clients are made in constructors). */
export function savedToken(master: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = credentialsPath(env);
  const entry = readIfPresent(() => readFileSync(path, 'utf8'), path).masters[masterKey(master)];
  return typeof entry?.token === 'string' && entry.token !== '' ? entry.token : undefined;
}

/** The token a client of `master` sends: `explicit`, else GFS_TOKEN, else the credentials file's. */
export function resolveToken(
  explicit: string | undefined,
  master: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (explicit !== undefined && explicit !== '') return explicit;
  const fromEnv = env[TOKEN_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return savedToken(master, env);
}

async function acquireLock(lockPath: string): Promise<void> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await (await open(lockPath, 'wx', 0o600)).close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const age = await stat(lockPath).then(
      (info) => Date.now() - info.mtimeMs,
      () => 0,
    );
    if (age > STALE_LOCK_MS) await rm(lockPath, { force: true });
    else if (Date.now() > deadline) throw new GfsError('UNAVAILABLE', 'the credentials file stays locked', lockPath);
    else await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 30));
  }
}

/** Stores `token` as the one to send to `master`; answers the file's path. */
export async function saveToken(
  master: string,
  token: string,
  user: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const dir = configDir(env);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, CREDENTIALS_FILE_NAME);
  const lockPath = `${path}.lock`;
  await acquireLock(lockPath);
  try {
    const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    const file: CredentialsFile = text === undefined ? { masters: {} } : parseCredentials(text, path);
    file.masters[masterKey(master)] = { token, ...(user === undefined ? {} : { user }) };
    const temp = `${path}.${process.pid}.tmp`;
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(file, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temp, 0o600);
    await rename(temp, path);
  } finally {
    await rm(lockPath, { force: true });
  }
  return path;
}
