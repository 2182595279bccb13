// Free loopback ports for spawned servers: bind port 0, read the port, release it.

import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The first of `count` consecutive free loopback ports (for `gfs cluster`, which takes P..P+N),
 * chosen below the kernel's ephemeral range so outgoing connections cannot be holding them.
 */
export async function freePortRun(count: number): Promise<number> {
  const lowest = 20_000;
  const span = 12_000;
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = lowest + ((process.pid * 7919 + attempt * 104_729) % span);
    let allFree = true;
    for (let port = base; port < base + count && allFree; port++) allFree = await isFree(port);
    if (allFree) return base;
  }
  throw new Error(`no run of ${count} free ports found`);
}

async function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
