// Sending grants (new version, optional lease, optional create) to replicas. The caller is
// injected, so lease logic is tested with a fake chunkserver and no network.

import type { BodyOf } from '../../shared/http/route.js';
import type { grantRoute } from '../../shared/protocol/data.js';
import type { ChunkserverInfo } from '../chunkservers/registry.js';

export type GrantBody = BodyOf<typeof grantRoute>;
/** Sends one grant to a chunkserver at `address`; rejects when it did not take it. */
export type GrantCaller = (address: string, body: GrantBody) => Promise<void>;

/** Sends grants in parallel; returns the servers that acked, in the order given. */
export async function grantAll(
  grant: GrantCaller,
  servers: readonly ChunkserverInfo[],
  bodyFor: (info: ChunkserverInfo) => GrantBody,
): Promise<ChunkserverInfo[]> {
  const results = await Promise.allSettled(servers.map((info) => grant(info.address, bodyFor(info))));
  return servers.filter((_info, i) => results[i]?.status === 'fulfilled');
}
