// Free loopback ports for spawned servers, chosen below the kernel's ephemeral range. A port the
// kernel handed out for `listen(0)` and that was released again is in that range, where any
// outgoing connection may take it as its local port before the server binds it (a master that
// exited with EADDRINUSE failed a CI run that way). Ports already handed out by this process are
// never handed out again, so two servers set up before either starts cannot get the same one.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** How many ports below the ephemeral range the harness picks from. */
const SPAN = 12_000;
const LOWEST_ALLOWED = 1024;
const handedOut = new Set<number>();

export async function freePort(): Promise<number> {
  return freePortRun(1);
}

/** The first of `count` consecutive free loopback ports (for `gfs cluster`, which takes P..P+N). */
export async function freePortRun(count: number): Promise<number> {
  const highest = ephemeralLowest() - count;
  const lowest = Math.max(LOWEST_ALLOWED, highest - SPAN);
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = lowest + Math.floor(Math.random() * (highest - lowest));
    let allFree = true;
    for (let port = base; port < base + count && allFree; port++) {
      allFree = !handedOut.has(port) && (await isFree(port));
    }
    if (allFree) {
      for (let port = base; port < base + count; port++) handedOut.add(port);
      return base;
    }
  }
  throw new Error(`no run of ${count} free ports found below the ephemeral range`);
}

/** The first port of the kernel's ephemeral range (Linux's default when it cannot be read). */
function ephemeralLowest(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const port = Number(low);
    if (Number.isInteger(port) && port > LOWEST_ALLOWED + SPAN / 4) return port;
  } catch {
    // not Linux, or no /proc: the default below
  }
  return 32_768;
}

async function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
