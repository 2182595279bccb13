// Cluster path handling, shared by the master (which must refuse bad paths) and clients
// (which must tell a cluster path from a local one). Paths are absolute, normalised strings.

import { GfsError } from './errors.js';
import { NAME_BYTES_MAX, PATH_BYTES_MAX } from './limits.js';

export const ROOT_PATH = '/';

/**
 * Normalises `//` and a trailing `/`, refuses `..`, `.`, NUL, relative paths and overlong names.
 * Returns the canonical form: `/` or `/a/b`.
 */
export function normalizePath(raw: string): string {
  if (typeof raw !== 'string' || !raw.startsWith('/')) {
    throw new GfsError('INVALID_PATH', 'path must be absolute', String(raw));
  }
  if (raw.includes('\0')) throw new GfsError('INVALID_PATH', 'path contains NUL', raw.replaceAll('\0', '\\0'));
  if (Buffer.byteLength(raw) > PATH_BYTES_MAX) {
    throw new GfsError('INVALID_PATH', `path longer than ${PATH_BYTES_MAX} bytes`, `${raw.slice(0, 64)}…`);
  }
  const names = raw.split('/').filter((name) => name !== '');
  for (const name of names) {
    if (name === '..' || name === '.') throw new GfsError('INVALID_PATH', `path contains "${name}"`, raw);
    if (Buffer.byteLength(name) > NAME_BYTES_MAX) {
      throw new GfsError('INVALID_PATH', `name longer than ${NAME_BYTES_MAX} bytes`, raw);
    }
  }
  return names.length === 0 ? ROOT_PATH : `/${names.join('/')}`;
}

/** Parent of a normalised path; the root is its own parent. */
export function parentPath(path: string): string {
  if (path === ROOT_PATH) return ROOT_PATH;
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? ROOT_PATH : path.slice(0, slash);
}

export function baseName(path: string): string {
  return path === ROOT_PATH ? '' : path.slice(path.lastIndexOf('/') + 1);
}

export function joinPath(directory: string, name: string): string {
  return directory === ROOT_PATH ? `/${name}` : `${directory}/${name}`;
}

/** True when `path` is `ancestor` or lies below it. */
export function isSameOrBelow(path: string, ancestor: string): boolean {
  if (ancestor === ROOT_PATH) return true;
  return path === ancestor || path.startsWith(`${ancestor}/`);
}

/** Every proper ancestor of a path, nearest the root first (excluding the root). */
export function ancestorsOf(path: string): string[] {
  const names = path.split('/').filter((name) => name !== '');
  const ancestors: string[] = [];
  for (let i = 1; i < names.length; i++) ancestors.push(`/${names.slice(0, i).join('/')}`);
  return ancestors;
}

export interface ClusterPath {
  /** The master this path names (`gfs://host:port/...`), or undefined for `gfs:/...`. */
  master: string | undefined;
  path: string;
}

/** Parses `gfs:/a/b` and `gfs://host:port/a/b`; returns undefined for a local path. */
export function parseClusterPath(argument: string): ClusterPath | undefined {
  if (!argument.startsWith('gfs:')) return undefined;
  const rest = argument.slice('gfs:'.length);
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    const authority = slash === -1 ? rest.slice(2) : rest.slice(2, slash);
    if (authority === '') return { master: undefined, path: normalizePath(slash === -1 ? '/' : rest.slice(slash)) };
    return { master: `http://${authority}`, path: normalizePath(slash === -1 ? '/' : rest.slice(slash)) };
  }
  return { master: undefined, path: normalizePath(rest === '' ? '/' : rest) };
}
