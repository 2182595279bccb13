// The gateway's composition root: one GfsClient (the gateway is a client of the cluster, its data
// never passes through the master), an express app with the REST file API, the dashboard and the
// ops routes, and a node:http server guarded like every gfs server (shared/http/connection-guard.ts).

import { createServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { GfsClient } from '../client/sdk/client.js';
import { GfsError } from '../shared/errors.js';
import { guardConnections, HTTP_SERVER_OPTIONS } from '../shared/http/connection-guard.js';
import { answerPlainHttp } from '../shared/http/plain-to-tls.js';
import { createLogger, type Logger } from '../shared/log.js';
import type { ServerTls } from '../shared/tls.js';
import { serveDashboard } from './dashboard-routes.js';
import { errorHandler } from './errors.js';
import { FILES_PREFIX, fileRoutes } from './file-routes.js';
import { serveOpsRoutes } from './ops-routes.js';

export interface GatewayOptions {
  host: string;
  port: number;
  /** The master: `http://host:port`, or `https://` for a TLS cluster. */
  master: string;
  /** Serve HTTPS with this certificate (independent of the cluster's scheme, which is the master URL's). */
  tls?: ServerTls;
  /** PEM certificates trusted on top of Node's roots when calling the cluster (`--tls-ca`). */
  ca?: string;
  logger?: Logger;
}

export interface RunningGateway {
  /** host:port actually bound (port 0 → a free port). */
  address: string;
  url: string;
  close(): Promise<void>;
}

/** On stop, requests in flight get this long to finish before their connections are cut. */
const STOP_GRACE_MS = 5_000;

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger({ role: 'gateway' });
  const client = new GfsClient({ master: options.master, ...(options.ca === undefined ? {} : { ca: options.ca }) });
  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    const startedAtMs = Date.now();
    res.on('close', () => {
      logger.debug(`request ${req.method} ${req.originalUrl} status=${res.statusCode} ms=${Date.now() - startedAtMs}`);
    });
    next();
  });
  serveOpsRoutes(app);
  app.use(FILES_PREFIX, fileRoutes(client));
  serveDashboard(app, client);
  app.use((req, _res, next) => next(new GfsError('NOT_FOUND', 'no such route', `${req.method} ${req.path}`)));
  app.use(errorHandler(logger));

  // No total time for a request (an upload may take minutes), only for a stalled one.
  const server =
    options.tls === undefined
      ? createServer(HTTP_SERVER_OPTIONS, app)
      : createHttpsServer({ ...HTTP_SERVER_OPTIONS, ...options.tls }, app);
  if (server instanceof HttpsServer) answerPlainHttp(server);
  // The https server has the same connection events and timeouts as the http one.
  guardConnections(server as unknown as HttpServer);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await client.close();
    const code = (error as NodeJS.ErrnoException).code;
    throw new GfsError('UNAVAILABLE', `cannot listen (${code ?? String(error)})`, `${options.host}:${options.port}`);
  }
  const { port } = server.address() as AddressInfo;
  const address = `${options.host}:${port}`;
  const url = `${options.tls === undefined ? 'http' : 'https'}://${address}`;
  logger.info(`gateway listening url=${url} master=${options.master}`);
  let closing: Promise<void> | undefined;
  return {
    address,
    url,
    close: () => {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const cut = setTimeout(() => server.closeAllConnections(), STOP_GRACE_MS);
        await closed;
        clearTimeout(cut);
        await client.close();
        logger.info(`gateway stopped address=${address}`);
      })();
      return closing;
    },
  };
}
