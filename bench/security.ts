// The security part of `npm run bench` (issue 7): what chunk access tokens cost. Two clusters of a
// master and 3 chunkservers run side by side, one with a cluster secret (every data request
// carries a token the chunkserver checks) and one with --insecure (nothing checked); `gfs cp` and
// `gfs cat` of the same file and SDK `stat` calls run against each, taking turns run by run so
// load from elsewhere on the machine falls on both. Figures are medians; the ratios are on / off.

import { GfsClient } from '../index.js';
import { type BenchServers, GFS_BIN, startServers } from './cluster.js';
import { dropCaches, opsPerSecond, run, runToNull, takingTurns } from './measure.js';

const MiB = 1024 * 1024;
const FILE = '/bench-security/file.bin';

export interface SecuritySettings {
  /** A local file of `fileBytes` random bytes. */
  input: string;
  fileBytes: number;
  runs: number;
  /** SDK stat calls per measurement, and how many are kept in flight. */
  stats: number;
  statsInFlight: number;
}

export interface SecurityFigures {
  /** MiB/s with tokens on and off. */
  cpOn: number;
  cpOff: number;
  catOn: number;
  catOff: number;
  /** stat calls per second. */
  statOn: number;
  statOff: number;
}

export async function measureSecurity(
  root: string,
  port: number,
  settings: SecuritySettings,
  log: (line: string) => void = () => undefined,
): Promise<SecurityFigures> {
  const { input, fileBytes, runs } = settings;
  const settingsOf = (insecure: boolean) => ({
    chunkservers: 3,
    chunkSize: '64MiB',
    replication: 3,
    deadAfter: '10s',
    insecure,
  });
  let secure: BenchServers | undefined;
  let insecure: BenchServers | undefined;
  try {
    secure = await startServers(`${root}/security-on`, port, settingsOf(false));
    insecure = await startServers(`${root}/security-off`, port + 10, settingsOf(true));
    const gfs = (cluster: BenchServers, ...args: string[]) => [GFS_BIN, '--master', cluster.masterUrl, ...args];
    const on = secure;
    const off = insecure;
    for (const cluster of [on, off]) await run(process.execPath, gfs(cluster, 'mkdir', '-p', 'gfs:/bench-security'));
    const [cpOnSecs, cpOffSecs] = await takingTurns(
      runs,
      () => run(process.execPath, gfs(on, 'cp', input, `gfs:${FILE}`)),
      () => run(process.execPath, gfs(off, 'cp', input, `gfs:${FILE}`)),
    );
    const [catOnSecs, catOffSecs] = await takingTurns(
      runs,
      () => runToNull(process.execPath, gfs(on, 'cat', `gfs:${FILE}`)),
      () => runToNull(process.execPath, gfs(off, 'cat', `gfs:${FILE}`)),
      dropCaches,
    );
    const statOn: number[] = [];
    const statOff: number[] = [];
    const stats = (cluster: BenchServers) => statsPerSecond(cluster.masterUrl, settings.stats, settings.statsInFlight);
    // The stat calls run in this process: whichever side goes first also warms the SDK's code for
    // the other. One unmeasured round each, then the sides swap who goes first every run.
    await stats(on);
    await stats(off);
    for (let i = 0; i < runs; i++) {
      if (i % 2 === 0) {
        statOn.push(await stats(on));
        statOff.push(await stats(off));
      } else {
        statOff.push(await stats(off));
        statOn.push(await stats(on));
      }
    }
    const rate = (secs: number) => fileBytes / MiB / secs;
    const figures = {
      cpOn: rate(cpOnSecs),
      cpOff: rate(cpOffSecs),
      catOn: rate(catOnSecs),
      catOff: rate(catOffSecs),
      statOn: middle(statOn),
      statOff: middle(statOff),
    };
    log(
      `security: gfs cp ${figures.cpOn.toFixed(0)} / ${figures.cpOff.toFixed(0)} MiB/s, ` +
        `gfs cat ${figures.catOn.toFixed(0)} / ${figures.catOff.toFixed(0)} MiB/s, ` +
        `stat ${figures.statOn.toFixed(0)} / ${figures.statOff.toFixed(0)} per s (tokens on / off)`,
    );
    return figures;
  } finally {
    await secure?.stop();
    await insecure?.stop();
  }
}

/** SDK stat calls of the benchmark file per second, `inFlight` at a time, on a fresh client. */
async function statsPerSecond(masterUrl: string, count: number, inFlight: number): Promise<number> {
  const client = new GfsClient({ master: masterUrl });
  try {
    await client.stat(FILE);
    return await opsPerSecond(count, inFlight, () => client.stat(FILE));
  } finally {
    await client.close();
  }
}

function middle(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
