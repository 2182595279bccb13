// An RpcClient for unit tests that stand in for both the master and its clients in front of real
// chunkservers: every data request gets the chunk access token the master would have handed out
// for the chunk it names (reads 'r', mutations 'w'), so what answers is the chunkserver's own
// logic. A push names no chunk: its token is for the chunk the test writes (the data id's).

import type { Dispatcher } from 'undici';
import type { RpcClientOptions } from '../../shared/http/client.js';
import type { BodyOf, ReplyOf, RouteDef } from '../../shared/http/route.js';
import type { ChunkTokenMode } from '../../shared/security/chunk-token.js';
import { AdminRpcClient } from './admin-rpc.js';
import { chunkTokenHeader } from './chunk-token.js';

export class ChunkTokenRpc extends AdminRpcClient {
  constructor(
    private readonly chunkTokenKey: Buffer,
    options: RpcClientOptions = {},
    /** The chunk a push's token names (pushes do not say which chunk they are for). */
    private readonly pushHandle = '4242',
  ) {
    super(options);
  }

  /** The header of a token for `mode` on chunk `handle` at `version`, for a request made by hand. */
  tokenHeader(handle: string, version: number, mode: ChunkTokenMode): Record<string, string> {
    return chunkTokenHeader(this.chunkTokenKey, handle, version, mode);
  }

  override call<R extends RouteDef>(
    address: string,
    def: R,
    body: BodyOf<R>,
    urlPath = def.url,
    headers?: Record<string, string>,
  ): Promise<ReplyOf<R>> {
    const { handle, version } = (body ?? {}) as { handle?: unknown; version?: unknown };
    const token =
      typeof handle === 'string' ? this.tokenHeader(handle, typeof version === 'number' ? version : 0, 'w') : {};
    return super.call(address, def, body, urlPath, { ...(headers ?? {}), ...token });
  }

  override request(
    address: string,
    options: Omit<Dispatcher.RequestOptions, 'origin'>,
  ): Promise<Dispatcher.ResponseData> {
    const url = new URL(options.path, 'http://x');
    let token: Record<string, string> = {};
    if (url.pathname.startsWith('/push/')) token = this.tokenHeader(this.pushHandle, 1, 'w');
    else if (url.pathname.startsWith('/chunk/')) {
      const handle = url.searchParams.get('handle') ?? url.pathname.slice('/chunk/'.length);
      const version = Number(url.searchParams.get('version') ?? 0);
      const mode = options.method === 'GET' ? 'r' : 'w';
      if (/^\d+$/.test(handle)) token = this.tokenHeader(handle, version, mode);
    }
    return super.request(address, { ...options, headers: { ...(options.headers as object), ...token } });
  }
}
