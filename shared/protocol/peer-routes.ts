// The server-to-server routes (issue 7 item 1): only servers holding the cluster secret may call
// them, so each request must carry a peer signature (shared/security/peer-signature.ts) when the
// server has keys. Everything else a server serves is a client route (authorised by client and
// chunk access tokens, not here) or open to anyone (/healthz, /metrics).

import type { RouteDef } from '../http/route.js';
import {
  applyBatchRoute,
  applyRoute,
  chunkApplyTruncateRoute,
  chunkTruncateRoute,
  cloneRoute,
  copyLocalRoute,
  grantBatchRoute,
  grantRoute,
  padRoute,
  revokeRoute,
} from './data.js';
import { corruptRoute, heartbeatRoute, registerRoute } from './heartbeat.js';

/** Chunkserver → master: registration, heartbeats, corruption reports. */
export const MASTER_PEER_ROUTES: readonly RouteDef[] = [registerRoute, heartbeatRoute, corruptRoute];

/**
 * Master → chunkserver orders, and primary → secondary forwarding. PUT /chunk/apply-inline is one
 * too, served on the bare data path (chunkserver/http/inline-write.ts checks it there).
 */
export const CHUNKSERVER_PEER_ROUTES: readonly RouteDef[] = [
  grantRoute,
  grantBatchRoute,
  chunkTruncateRoute,
  cloneRoute,
  revokeRoute,
  copyLocalRoute,
  applyRoute,
  applyBatchRoute,
  padRoute,
  chunkApplyTruncateRoute,
];
