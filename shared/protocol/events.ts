// Master → operators: the master's recent events (lease grants, chunkservers coming and dying,
// re-replication clones), newest last, for the gateway's dashboard (docs/gateway.md).

import { type Static, Type } from '@sinclair/typebox';
import { defineRoute } from '../http/route.js';

export const MASTER_EVENT_KINDS = [
  'lease-granted',
  'chunkserver-up',
  'chunkserver-dead',
  'clone-started',
  'clone-ended',
] as const;
export type MasterEventKind = (typeof MASTER_EVENT_KINDS)[number];

export const MasterEventSchema = Type.Object({
  /** Grows by one per event since the master started: a reader can tell what it has seen. */
  seq: Type.Integer({ minimum: 1 }),
  atMs: Type.Number(),
  kind: Type.Union(MASTER_EVENT_KINDS.map((kind) => Type.Literal(kind))),
  /** What the event is about: a chunk handle or a chunkserver id. */
  subject: Type.String(),
  /** The event's key fields as `key=value` words, as in the master's log line for it. */
  detail: Type.String(),
});
export type MasterEvent = Static<typeof MasterEventSchema>;

/** The most recent events, oldest first (MASTER_EVENTS_MAX of them, since the master started). */
export const eventsRoute = defineRoute(
  'GET',
  '/events',
  Type.Object({}),
  Type.Object({ events: Type.Array(MasterEventSchema) }),
);
