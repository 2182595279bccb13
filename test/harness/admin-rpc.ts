// Raw calls to a secure master as the tests' superuser (test-identity.ts): the GFS_TOKEN every
// test process has, sent as the Authorization header the SDK would send.

import { RpcClient } from '../../shared/http/client.js';
import type { BodyOf, ReplyOf, RouteDef } from '../../shared/http/route.js';

/** The headers of a request made as the tests' superuser. */
export function adminHeaders(): Record<string, string> {
  const token = process.env.GFS_TOKEN;
  if (token === undefined || token === '') throw new Error('GFS_TOKEN is not set (vitest.config.ts sets it)');
  return { authorization: `Bearer ${token}` };
}

/** An RpcClient whose JSON calls carry the superuser's token unless given other headers. */
export class AdminRpcClient extends RpcClient {
  override call<R extends RouteDef>(
    address: string,
    def: R,
    body: BodyOf<R>,
    urlPath = def.url,
    headers: Record<string, string> = adminHeaders(),
  ): Promise<ReplyOf<R>> {
    return super.call(address, def, body, urlPath, headers);
  }
}
