// Routes about the caller (shared/protocol/auth.ts): who the master takes it for, and tokens a
// superuser makes for others from anywhere (the cluster secret stays on the master host).

import type { FastifyInstance } from 'fastify';
import { GfsError } from '../../shared/errors.js';
import { serveRoute } from '../../shared/http/server.js';
import { createTokenRoute, whoamiRoute } from '../../shared/protocol/auth.js';
import { mintClientToken } from '../../shared/security/client-token.js';
import type { ClusterKeys } from '../../shared/security/keys.js';
import { callerOf } from './caller.js';

export function serveAuthRoutes(app: FastifyInstance, keys: Pick<ClusterKeys, 'clientToken'> | null): void {
  serveRoute(app, whoamiRoute, async (_body, request) => {
    const { user, groups, superuser } = callerOf(request);
    return { user, groups: [...groups], superuser };
  });

  serveRoute(app, createTokenRoute, async (body, request) => {
    const caller = callerOf(request);
    if (keys === null) {
      throw new GfsError(
        'INVALID_ARGUMENT',
        'this master runs with --insecure: it has no key to sign tokens',
        body.user,
      );
    }
    if (!caller.superuser) {
      throw new GfsError(
        'PERMISSION_DENIED',
        `permission denied (${caller.user}: only a superuser makes tokens)`,
        body.user,
      );
    }
    return {
      token: mintClientToken(keys, {
        user: body.user,
        ...(body.groups === undefined ? {} : { groups: body.groups }),
        superuser: body.superuser === true,
        ...(body.validForMs === undefined ? {} : { validForMs: body.validForMs }),
      }),
    };
  });
}
