// The dashboard: a static page (gateway/public/, plain HTML and a little JS, no build step) and the
// one JSON document it polls, `GET /api/v1/cluster`, gathered from the master through the SDK.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import type { GfsClient } from '../client/sdk/client.js';
import { GfsError } from '../shared/errors.js';
import type { FsckReport } from '../shared/protocol/health.js';

export const CLUSTER_ROUTE = '/api/v1/cluster';

/** The page's files: beside this module in the source tree, two levels up from dist/gateway/. */
function publicDirectory(): string {
  for (const relative of ['./public/', '../../gateway/public/']) {
    const directory = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(`${directory}index.html`)) return directory;
  }
  throw new GfsError('INTERNAL', 'the dashboard page is missing', fileURLToPath(new URL('./public/', import.meta.url)));
}

export function serveDashboard(app: Express, client: GfsClient): void {
  app.get(CLUSTER_ROUTE, (_req, res, next) => {
    clusterOverview(client).then((overview) => res.json(overview), next);
  });
  app.use(express.static(publicDirectory(), { index: 'index.html', maxAge: 0 }));
}

/**
 * Everything the dashboard shows, in one answer: capacity, chunk health, repair progress, the
 * chunkservers and the master's recent events. Health counts are null while a restarted master
 * still waits for chunk reports (every chunk would look lost).
 */
async function clusterOverview(client: GfsClient) {
  const [status, space, fsck, events] = await Promise.all([
    client.status(),
    client.statfs(),
    client.fsck().catch((error: unknown) => {
      if (error instanceof GfsError && error.code === 'NOT_READY') return undefined;
      throw error;
    }),
    client.masterEvents(),
  ]);
  const health: FsckReport['counts'] | null = fsck?.counts ?? null;
  return {
    master: status.master,
    ready: status.ready,
    chunkSize: status.chunkSize,
    capacity: { capacityBytes: space.capacityBytes, usedBytes: space.usedBytes, freeBytes: space.freeBytes },
    files: status.files,
    trashedFiles: status.trashedFiles,
    chunks: status.chunks,
    health,
    repair: status.repair,
    chunkservers: status.chunkservers,
    events,
    generatedAtMs: Date.now(),
  };
}
