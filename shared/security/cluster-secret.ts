// The cluster secret (issue 7): one random key every server of a cluster knows, from which the keys
// that sign server-to-server requests, chunk access tokens and client tokens are derived
// (keys.ts). The master keeps it in its data directory (created on first start, mode 0600); a
// chunkserver is given it as a file (--secret-file) or in GFS_SECRET. Servers started with
// --insecure have none, and check nothing.

import { randomBytes } from 'node:crypto';
import { chmod, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GfsError } from '../errors.js';

export const SECRET_FILE_NAME = 'cluster.secret';
export const SECRET_ENV = 'GFS_SECRET';

/** 256 bits: as long as the HMAC-SHA256 keys derived from it. */
const SECRET_BYTES = 32;
/** Shorter text is refused: a guessable secret would make every check below worthless. */
const SECRET_TEXT_CHARS_MIN = 32;

/** A new secret as the text kept in the file: 64 hex digits. */
export function generateSecretText(): string {
  return randomBytes(SECRET_BYTES).toString('hex');
}

/** The secret's bytes from its text (surrounding whitespace and a trailing newline ignored). */
export function parseSecret(text: string, source: string): Buffer {
  const trimmed = text.trim();
  if (trimmed.length < SECRET_TEXT_CHARS_MIN) {
    throw new GfsError(
      'INVALID_ARGUMENT',
      `cluster secret too short (${trimmed.length} characters, at least ${SECRET_TEXT_CHARS_MIN})`,
      source,
    );
  }
  return Buffer.from(trimmed, 'utf8');
}

export async function readSecretFile(path: string): Promise<Buffer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new GfsError('INVALID_ARGUMENT', `cannot read the cluster secret (${code})`, path);
  }
  return parseSecret(text, path);
}

/**
 * DIR/cluster.secret, created with a new secret when missing (owner-only: anyone who reads it can
 * act as any server of the cluster). Creation is exclusive, so two starts racing keep one secret.
 */
export async function ensureSecretFile(dir: string): Promise<{ path: string; secret: Buffer }> {
  const path = join(dir, SECRET_FILE_NAME);
  try {
    const handle = await open(path, 'wx', 0o600);
    try {
      await handle.writeFile(`${generateSecretText()}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    // The umask cannot widen 0600, but an explicit chmod states the intent where it matters.
    await chmod(path, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      const code = (error as NodeJS.ErrnoException).code ?? 'unwritable';
      throw new GfsError('INVALID_ARGUMENT', `cannot create the cluster secret (${code})`, path);
    }
  }
  return { path, secret: await readSecretFile(path) };
}

export interface SecretSources {
  /** --secret-file */
  secretFile?: string | undefined;
  /** The process environment (GFS_SECRET). */
  env?: NodeJS.ProcessEnv;
  /** Where a master keeps (and on first start creates) its secret when none is given. */
  createIn?: string | undefined;
}

/**
 * The secret a server runs with: --secret-file, else GFS_SECRET, else (a master) the one in its
 * data directory. A chunkserver given none is refused with the ways to give it.
 */
export async function resolveSecret(sources: SecretSources, role: string): Promise<Buffer> {
  if (sources.secretFile !== undefined && sources.secretFile !== '') return readSecretFile(sources.secretFile);
  const fromEnv = (sources.env ?? process.env)[SECRET_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return parseSecret(fromEnv, SECRET_ENV);
  if (sources.createIn !== undefined) return (await ensureSecretFile(sources.createIn)).secret;
  throw new GfsError(
    'INVALID_ARGUMENT',
    `no cluster secret: pass --secret-file (the master's DATA/${SECRET_FILE_NAME}), set ${SECRET_ENV}, or run every server with --insecure`,
    role,
  );
}
