// The gateway part of `npm run bench` (issue 6): a 1 GiB file uploaded with `curl -T` (HTTP PUT)
// and downloaded with `curl` (GET) through `gfs gateway`, beside `gfs cp` and `gfs cat` of the
// same file against the same cluster in the same run. The two sides of each pair take turns, run
// by run, so load from elsewhere on the machine falls on both; every run starts after `sync`, and
// every download after the page cache is dropped (when the bench may). Figures are medians.

import { GFS_BIN } from './cluster.js';
import { dropCaches, run, runToNull, takingTurns } from './measure.js';

const MiB = 1024 * 1024;
const DIRECTORY = '/bench-gateway';

export interface GatewaySettings {
  /** A local file of `fileBytes` random bytes. */
  input: string;
  fileBytes: number;
  runs: number;
}

export interface GatewayFigures {
  /** MiB/s. */
  curlUpload: number;
  cliUpload: number;
  curlDownload: number;
  cliDownload: number;
}

export async function measureGateway(
  masterUrl: string,
  gatewayUrl: string,
  settings: GatewaySettings,
  log: (line: string) => void = () => undefined,
): Promise<GatewayFigures> {
  const { input, fileBytes, runs } = settings;
  const gfs = (...args: string[]) => [GFS_BIN, '--master', masterUrl, ...args];
  const fileUrl = (name: string) => `${gatewayUrl}/api/v1/files${DIRECTORY}/${name}`;
  await run(process.execPath, gfs('mkdir', '-p', `gfs:${DIRECTORY}`));
  try {
    const [cliUploadSecs, curlUploadSecs] = await takingTurns(
      runs,
      () => run(process.execPath, gfs('cp', input, `gfs:${DIRECTORY}/cli.bin`)),
      () => run('curl', ['-sS', '--fail', '-o', '/dev/null', '-T', input, fileUrl('curl.bin')]),
    );
    const [cliDownloadSecs, curlDownloadSecs] = await takingTurns(
      runs,
      () => runToNull(process.execPath, gfs('cat', `gfs:${DIRECTORY}/cli.bin`)),
      () => run('curl', ['-sS', '--fail', '-o', '/dev/null', fileUrl('curl.bin')]),
      dropCaches,
    );
    await checkSize(fileUrl('curl.bin'), fileBytes);
    const rate = (secs: number) => fileBytes / MiB / secs;
    const figures = {
      curlUpload: rate(curlUploadSecs),
      cliUpload: rate(cliUploadSecs),
      curlDownload: rate(curlDownloadSecs),
      cliDownload: rate(cliDownloadSecs),
    };
    log(
      `gateway: curl PUT ${figures.curlUpload.toFixed(0)} MiB/s (gfs cp ${figures.cliUpload.toFixed(0)}), ` +
        `curl GET ${figures.curlDownload.toFixed(0)} MiB/s (gfs cat ${figures.cliDownload.toFixed(0)})`,
    );
    return figures;
  } finally {
    await run(process.execPath, gfs('rm', '-r', '-f', `gfs:${DIRECTORY}`)).catch(() => undefined);
  }
}

/** The uploaded file is all there (the gateway's stat, through the REST API). */
async function checkSize(url: string, fileBytes: number): Promise<void> {
  const stat = (await (await fetch(`${url}?op=stat`)).json()) as { size?: number };
  if (stat.size !== fileBytes)
    throw new Error(`gateway upload holds ${stat.size} bytes, expected ${fileBytes}: ${url}`);
}
