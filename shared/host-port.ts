// Addresses a server binds and advertises. A server listens on `--host` (possibly every interface,
// 0.0.0.0) but tells others one address they can reach it at (`--advertise`): the chunkserver's is
// what the master hands clients and peers, the master's is what its status reports.

import { GfsError } from './errors.js';

export interface HostPort {
  /** As written: a name, an IPv4 address, or an IPv6 address in brackets. */
  host: string;
  port?: number;
}

/** Hosts that mean "every interface": nobody can connect to them. */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', '']);

/** `host`, `host:port`, `[v6]` or `[v6]:port`. */
export function parseHostPort(text: string): HostPort {
  const trimmed = text.trim();
  const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]/?#@]+)(?::(\d+))?$/.exec(trimmed);
  if (match === null) {
    throw new GfsError('INVALID_ARGUMENT', 'not a host or host:port (an IPv6 address goes in brackets)', text);
  }
  const host = match[1] as string;
  if (match[2] === undefined) return { host };
  const port = Number(match[2]);
  if (port < 1 || port > 65_535) throw new GfsError('INVALID_ARGUMENT', 'port out of range (1-65535)', text);
  return { host, port };
}

export function isWildcardHost(host: string): boolean {
  return WILDCARD_HOSTS.has(host.trim());
}

/**
 * The `host:port` a server tells others: `--advertise` (its port defaulting to the bound one),
 * else the host it listens on, which must then be one others can connect to.
 */
export function advertisedAddress(bindHost: string, boundPort: number, advertise: string | undefined): string {
  if (advertise !== undefined) {
    const { host, port } = parseHostPort(advertise);
    return `${host}:${port ?? boundPort}`;
  }
  if (isWildcardHost(bindHost)) {
    throw new GfsError(
      'INVALID_ARGUMENT',
      'listening on every interface: give the address others should use with --advertise',
      bindHost,
    );
  }
  const host = bindHost.includes(':') && !bindHost.startsWith('[') ? `[${bindHost}]` : bindHost;
  return `${host}:${boundPort}`;
}
