// What a command-line path names: a file in a cluster (`gfs:/a`, `gfs://host:port/a`), a local
// file, or stdin/stdout (`-`); and which master a command talks to (DESIGN §7 addressing).

import { GfsError } from '../../shared/errors.js';
import { normalizePath, parseClusterPath } from '../../shared/paths.js';
import { schemeOf } from '../../shared/tls.js';

export const DEFAULT_MASTER = 'http://127.0.0.1:7070';

export type Target =
  | { kind: 'stdio'; display: string }
  | { kind: 'local'; path: string; display: string }
  | { kind: 'cluster'; master: string; path: string; display: string };

export type ClusterTarget = Extract<Target, { kind: 'cluster' }>;

/** `host:port` becomes `http://host:port`; a trailing slash goes. */
export function masterUrl(address: string): string {
  const trimmed = address.trim().replace(/\/+$/, '');
  return /^https?:\/\//.test(trimmed) ? trimmed : `http://${trimmed}`;
}

/**
 * Any path argument: `-`, a cluster path (whose own master wins over `defaultMaster`), or local.
 * `gfs://host:port/…` is reached with the scheme of `defaultMaster`: with `--master https://…`
 * (a TLS cluster) over https, else http.
 */
export function parseTarget(argument: string, defaultMaster: string): Target {
  if (argument === '-') return { kind: 'stdio', display: '-' };
  const cluster = parseClusterPath(argument);
  if (cluster === undefined) return { kind: 'local', path: argument, display: argument };
  return {
    kind: 'cluster',
    master:
      cluster.master === undefined
        ? defaultMaster
        : `${schemeOf(defaultMaster)}://${masterUrl(cluster.master).replace(/^https?:\/\//, '')}`,
    path: cluster.path,
    display: argument,
  };
}

/**
 * A path for a command that only works on the cluster (ls, stat, mkdir, rm, mv): `gfs:` paths as
 * usual, and a plain absolute path is taken as a path in the default cluster.
 */
export function parseClusterTarget(argument: string, defaultMaster: string): ClusterTarget {
  const target = parseTarget(argument, defaultMaster);
  if (target.kind === 'cluster') return target;
  if (target.kind === 'local' && argument.startsWith('/')) {
    return { kind: 'cluster', master: defaultMaster, path: normalizePath(argument), display: argument };
  }
  throw new GfsError('INVALID_PATH', 'not a cluster path (use gfs:/path)', argument);
}

/**
 * SOURCE and DESTINATION of a command that works within one cluster (mv, snapshot): both cluster
 * paths of the same master, else INVALID_ARGUMENT with `refusal` (naming what to use instead).
 */
export function parseClusterPair(
  source: string,
  destination: string,
  defaultMaster: string,
  refusal: string,
): { master: string; from: string; to: string } {
  const from = parseClusterTarget(source, defaultMaster);
  const to = parseClusterTarget(destination, defaultMaster);
  if (from.master !== to.master) throw new GfsError('INVALID_ARGUMENT', refusal, destination);
  return { master: from.master, from: from.path, to: to.path };
}
