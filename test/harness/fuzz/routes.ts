// Every route of the three servers, derived from the code that serves them (the shared protocol
// definitions, the chunkserver's data-path URLs, the gateway's table of file operations and its
// public files), and the routes docs/protocol.md lists, so a test can check that the two agree
// and that a fuzzer reaches every route.

import { readdirSync, readFileSync } from 'node:fs';
import { CLUSTER_ROUTE } from '../../../gateway/dashboard-routes.js';
import { FILE_OPERATIONS, FILES_PREFIX } from '../../../gateway/file-routes.js';
import type { RouteDef } from '../../../shared/http/route.js';
import * as auth from '../../../shared/protocol/auth.js';
import * as chunks from '../../../shared/protocol/chunks.js';
import * as data from '../../../shared/protocol/data.js';
import * as delegations from '../../../shared/protocol/delegations.js';
import * as events from '../../../shared/protocol/events.js';
import * as health from '../../../shared/protocol/health.js';
import * as heartbeat from '../../../shared/protocol/heartbeat.js';
import * as namespace from '../../../shared/protocol/namespace.js';
import { HEALTHZ_URL, METRICS_URL } from '../../../shared/protocol/ops.js';

export type ServerRole = 'master' | 'chunkserver' | 'gateway';

export type Route =
  /** A JSON control route from a shared definition (body validated by its TypeBox schema). */
  | { kind: 'json'; def: RouteDef }
  | { kind: 'push' | 'read' | 'write-inline' | 'apply-inline' | 'ops' }
  /** The gateway's file API: one operation (op undefined: none in the query). */
  | { kind: 'file'; method: string; op: string | undefined }
  /** Other gateway GETs: the dashboard's document and its static files. */
  | { kind: 'static'; url: string };

export interface RouteEntry {
  role: ServerRole;
  method: string;
  /** The URL with parameters named as docs/protocol.md names them (`:dataId`, `<path>`). */
  url: string;
  route: Route;
}

function routeDefsOf(module: Record<string, unknown>): RouteDef[] {
  return Object.values(module).filter(
    (value): value is RouteDef =>
      typeof value === 'object' &&
      value !== null &&
      'method' in value &&
      'url' in value &&
      'body' in value &&
      'reply' in value,
  );
}

function jsonRoutes(role: ServerRole, modules: Record<string, unknown>[]): RouteEntry[] {
  return modules
    .flatMap(routeDefsOf)
    .map((def) => ({ role, method: def.method, url: def.url, route: { kind: 'json', def } }));
}

function opsRoutes(role: ServerRole): RouteEntry[] {
  return [HEALTHZ_URL, METRICS_URL].map((url) => ({ role, method: 'GET', url, route: { kind: 'ops' } }));
}

/** The dashboard's files as the gateway serves them (`/` for index.html). */
function publicFiles(): string[] {
  const directory = new URL('../../../gateway/public/', import.meta.url);
  return readdirSync(directory).map((name) => (name === 'index.html' ? '/' : `/${name}`));
}

export function routesFromCode(): RouteEntry[] {
  return [
    ...jsonRoutes('master', [namespace, delegations, chunks, heartbeat, health, events, auth]),
    ...opsRoutes('master'),
    ...jsonRoutes('chunkserver', [data]),
    { role: 'chunkserver', method: 'PUT', url: `${data.PUSH_URL_PREFIX}:dataId`, route: { kind: 'push' } },
    { role: 'chunkserver', method: 'GET', url: `${data.READ_URL_PREFIX}:handle`, route: { kind: 'read' } },
    { role: 'chunkserver', method: 'PUT', url: data.WRITE_INLINE_URL, route: { kind: 'write-inline' } },
    { role: 'chunkserver', method: 'PUT', url: data.APPLY_INLINE_URL, route: { kind: 'apply-inline' } },
    ...opsRoutes('chunkserver'),
    ...FILE_OPERATIONS.map(
      ({ method, op }): RouteEntry => ({
        role: 'gateway',
        method,
        url: `${FILES_PREFIX}/<path>${op === undefined ? '' : `?op=${op}`}`,
        route: { kind: 'file', method, op },
      }),
    ),
    ...[CLUSTER_ROUTE, ...publicFiles()].map(
      (url): RouteEntry => ({ role: 'gateway', method: 'GET', url, route: { kind: 'static', url } }),
    ),
    ...opsRoutes('gateway'),
  ];
}

const SECTIONS: Record<string, ServerRole> = { Master: 'master', Chunkserver: 'chunkserver', Gateway: 'gateway' };

/**
 * `ROLE METHOD URL` for every row of the route tables in docs/protocol.md. Query strings are
 * dropped except a gateway `op`, optional parts (`[...]`) too, and `<dir>` is a `<path>`; a row
 * naming more URLs in parentheses (`GET /` (and `/dashboard.js`)) gives one key per URL.
 */
export function documentedRoutes(): string[] {
  const text = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');
  const keys: string[] = [];
  let role: ServerRole | undefined;
  for (const line of text.split('\n')) {
    const heading = /^## (\w+)/.exec(line);
    if (heading !== null) role = SECTIONS[heading[1] ?? ''];
    if (role === undefined || !line.startsWith('| `')) continue;
    const firstCell = line.split(' | ')[0] ?? '';
    const urls = [...firstCell.matchAll(/`([^`]+)`/g)].map((match) => match[1] ?? '');
    const [head = '', ...more] = urls;
    const [method = '', first = ''] = head.split(' ');
    for (const url of [first, ...more]) keys.push(`${role} ${method} ${documentedUrl(url)}`);
  }
  return keys;
}

function documentedUrl(url: string): string {
  const plain = url.replace(/\[[^\]]*\]/g, '').replaceAll('<dir>', '<path>');
  const [path = '', query = ''] = plain.split('?');
  const op = new URLSearchParams(query).get('op');
  return op === null ? path : `${path}?op=${op}`;
}

export function routeKey(entry: RouteEntry): string {
  return `${entry.role} ${entry.method} ${entry.url}`;
}
