// Client → master: who am I, and (superusers) tokens for other users without the cluster secret
// at hand (issue 7; docs/security-users.md).

import { type Static, Type } from '@sinclair/typebox';
import { defineRoute } from '../http/route.js';
import { Empty } from './common.js';

const NameSchema = Type.String({ minLength: 1, maxLength: 64 });

export const IdentitySchema = Type.Object({
  user: Type.String(),
  groups: Type.Array(Type.String()),
  superuser: Type.Boolean(),
});
export type Identity = Static<typeof IdentitySchema>;

/** The caller as the master sees it. */
export const whoamiRoute = defineRoute('GET', '/auth/whoami', Empty, IdentitySchema);

/** A new client token, signed by the master; a superuser's request only. */
export const createTokenRoute = defineRoute(
  'POST',
  '/auth/token',
  Type.Object(
    {
      user: NameSchema,
      groups: Type.Optional(Type.Array(NameSchema, { maxItems: 32 })),
      superuser: Type.Optional(Type.Boolean()),
      validForMs: Type.Optional(Type.Integer({ minimum: 1 })),
    },
    { additionalProperties: false },
  ),
  Type.Object({ token: Type.String() }),
);
