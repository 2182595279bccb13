// `gfs mount --metrics-port P`: FUSE operation counts (per operation, and failures per operation
// and errno) on GET /metrics at 127.0.0.1:P, with the process metrics every gfs server has. Opt-in:
// a mount is a client on someone's machine, and opening a port there is the user's decision.

import { createServer, type Server } from 'node:http';
import { constants } from 'node:os';
import { Counter } from 'prom-client';
import { GfsError } from '../../shared/errors.js';
import { METRICS_CONTENT_TYPE, ServerMetrics } from '../../shared/metrics/registry.js';
import type { FuseOperations } from './fuse-binding.js';

const LOOPBACK = '127.0.0.1';

/** errno number → name (2 → ENOENT), for labels a person can read. */
const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, value]) => [value, name]));

export class MountMetrics {
  readonly server = new ServerMetrics();
  private readonly operations: Counter<'op'>;
  private readonly failures: Counter<'op' | 'errno'>;

  constructor() {
    const registers = [this.server.registry];
    this.operations = new Counter({
      name: 'gfs_mount_operations_total',
      help: 'FUSE operations the kernel sent to the mount, by operation',
      labelNames: ['op'],
      registers,
    });
    this.failures = new Counter({
      name: 'gfs_mount_operation_errors_total',
      help: 'FUSE operations answered with an error, by operation and errno (ENOENT, EIO, ...)',
      labelNames: ['op', 'errno'],
      registers,
    });
  }

  /**
   * The same operations, each counted as it is called and, when it answers a negative code (every
   * callback's first argument), counted as a failure with that errno.
   */
  counted(operations: FuseOperations): FuseOperations {
    const counted: Record<string, (...args: unknown[]) => void> = {};
    for (const [op, handler] of Object.entries(operations) as Array<[string, (...args: unknown[]) => void]>) {
      counted[op] = (...args: unknown[]) => {
        this.operations.inc({ op });
        const cb = args[args.length - 1] as (code: number, ...rest: unknown[]) => void;
        args[args.length - 1] = (code: number, ...rest: unknown[]) => {
          if (code < 0) this.failures.inc({ op, errno: ERRNO_NAMES.get(-code) ?? String(-code) });
          cb(code, ...rest);
        };
        handler(...args);
      };
    }
    return counted as unknown as FuseOperations;
  }
}

export interface MetricsEndpoint {
  /** http://127.0.0.1:P/metrics */
  url: string;
  close(): Promise<void>;
}

/** Serves GET /metrics on loopback; a port already taken is a one-line error naming it. */
export async function serveMountMetrics(metrics: MountMetrics, port: number): Promise<MetricsEndpoint> {
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/metrics') {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ code: 'NOT_FOUND', message: 'no such route', subject: request.url }));
      return;
    }
    metrics.server.render().then(
      (text) => {
        response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE });
        response.end(text);
      },
      (error: unknown) => {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ code: 'INTERNAL', message: String(error) }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new GfsError('UNAVAILABLE', `cannot serve metrics (${error.code ?? error.message})`, `${LOOPBACK}:${port}`),
      );
    });
    server.listen(port, LOOPBACK, resolve);
  });
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  return {
    url: `http://${LOOPBACK}:${bound}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
