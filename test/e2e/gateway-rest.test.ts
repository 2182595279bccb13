// The gateway's REST file API driven by real `curl` processes, as a user would from a shell,
// against a real `gfs gateway` in front of a real 3-chunkserver cluster (1 MiB chunks, so files
// span several chunks and ranges cross chunk boundaries).

import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GfsClient } from '../../index.js';
import { seededBytes } from '../harness/bytes.js';
import { TestCluster } from '../harness/cluster.js';
import { startTestGateway, type TestGateway } from '../harness/gateway.js';
import { runGfs } from '../harness/gfs-cli.js';
import { waitFor } from '../harness/wait.js';

const MiB = 1024 * 1024;

let cluster: TestCluster;
let gateway: TestGateway;
let client: GfsClient;
let localDir: string;

beforeAll(async () => {
  cluster = await TestCluster.start({ chunkSize: '1MiB' });
  gateway = await startTestGateway(cluster.masterUrl);
  client = new GfsClient({ master: cluster.masterUrl });
  localDir = await mkdtemp(join(tmpdir(), 'gfs-gateway-rest-'));
});

afterAll(async () => {
  await client?.close();
  await gateway?.stop();
  await cluster?.stop();
  if (localDir) await rm(localDir, { recursive: true, force: true });
});

interface CurlResult {
  exitCode: number | null;
  body: Buffer;
  /** `%{http_code}` from `-w`, and the response headers (`-D`), lower-cased names. */
  status: number;
  headers: Map<string, string>;
}

/** Runs `curl -sS` with `args` (the URL relative to the gateway), returning status, headers, body. */
async function curl(args: readonly string[], urlPath: string): Promise<CurlResult> {
  const bodyFile = join(localDir, `body-${process.hrtime.bigint()}`);
  const headerFile = `${bodyFile}.headers`;
  const child = spawn(
    'curl',
    ['-sS', '-o', bodyFile, '-D', headerFile, '-w', '%{http_code}', ...args, `${gateway.url}${urlPath}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (piece: Buffer) => {
    stdout += piece.toString();
  });
  child.stderr.on('data', (piece: Buffer) => {
    stderr += piece.toString();
  });
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (exitCode !== 0) throw new Error(`curl ${args.join(' ')} ${urlPath} exited ${exitCode}: ${stderr}`);
  const headers = new Map<string, string>();
  for (const line of (await readFile(headerFile, 'utf8')).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  const body = await readFile(bodyFile).catch(() => Buffer.alloc(0));
  await rm(bodyFile, { force: true });
  await rm(headerFile, { force: true });
  return { exitCode, body, status: Number(stdout), headers };
}

function json(result: CurlResult): unknown {
  return JSON.parse(result.body.toString());
}

describe('gateway REST API with curl', () => {
  const data = seededBytes(3 * MiB + 12_345, 6);

  it('uploads with PUT (curl -T), and the cluster holds exactly those bytes', async () => {
    await client.mkdir('/rest');
    const source = join(localDir, 'upload.bin');
    await writeFile(source, data);
    const put = await curl(['-T', source], '/api/v1/files/rest/data.bin');
    expect(put.status).toBe(201);
    expect(json(put)).toMatchObject({ path: '/rest/data.bin', type: 'file', size: data.length });
    expect(put.headers.get('location')).toBe('/api/v1/files/rest/data.bin');
    expect(Buffer.compare(await client.readFile('/rest/data.bin'), data)).toBe(0);
    // Nothing else was left beside it (the temporary name was renamed away).
    expect((await client.readdir('/rest')).map((entry) => entry.name)).toEqual(['data.bin']);
  });

  it('downloads the whole file and byte ranges (a-b, a-, -n) across chunk boundaries', async () => {
    const whole = await curl([], '/api/v1/files/rest/data.bin');
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(whole.headers.get('content-length')).toBe(String(data.length));
    expect(Buffer.compare(whole.body, data)).toBe(0);

    const cases: [string, number, number][] = [
      [`bytes=${MiB - 10}-${2 * MiB + 9}`, MiB - 10, 2 * MiB + 9],
      [`bytes=${3 * MiB}-`, 3 * MiB, data.length - 1],
      ['bytes=-500', data.length - 500, data.length - 1],
      ['bytes=0-0', 0, 0],
      [`bytes=${data.length - 3}-${data.length + 1000}`, data.length - 3, data.length - 1],
    ];
    for (const [range, start, end] of cases) {
      const part = await curl(['-H', `Range: ${range}`], '/api/v1/files/rest/data.bin');
      expect(part.status, range).toBe(206);
      expect(part.headers.get('content-range'), range).toBe(`bytes ${start}-${end}/${data.length}`);
      expect(Buffer.compare(part.body, data.subarray(start, end + 1)), range).toBe(0);
    }
    // curl's own -r flag sends the same header.
    const viaFlag = await curl(['-r', '100-199'], '/api/v1/files/rest/data.bin');
    expect(Buffer.compare(viaFlag.body, data.subarray(100, 200))).toBe(0);

    const beyond = await curl(['-H', `Range: bytes=${data.length}-`], '/api/v1/files/rest/data.bin');
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${data.length}`);
  });

  it('lists and stats, in the ls --json and stat --json shapes', async () => {
    const list = await curl([], '/api/v1/files/rest?op=list');
    expect(list.status).toBe(200);
    expect(json(list)).toEqual([
      expect.objectContaining({ name: 'data.bin', path: '/rest/data.bin', type: 'file', size: data.length }),
    ]);
    const stat = await curl([], '/api/v1/files/rest/data.bin?op=stat');
    expect(json(stat)).toMatchObject({ path: '/rest/data.bin', type: 'file', size: data.length, chunks: 4 });
  });

  it('makes directories and renames', async () => {
    const mkdir = await curl(['-X', 'POST'], '/api/v1/files/rest/sub?op=mkdir');
    expect(mkdir.status).toBe(201);
    const rename = await curl(['-X', 'POST'], '/api/v1/files/rest/data.bin?op=rename&to=/rest/sub/moved.bin');
    expect(rename.status).toBe(200);
    expect(json(rename)).toMatchObject({ path: '/rest/sub/moved.bin', size: data.length });
    expect(await client.lookup('/rest/data.bin')).toBeUndefined();
    // A name with a space and a non-ASCII letter, percent-encoded in the URL.
    const put = await curl(['-X', 'PUT', '--data-binary', 'hello'], '/api/v1/files/rest/sub/caf%C3%A9%20menu.txt');
    expect(put.status).toBe(201);
    expect((await client.readFile('/rest/sub/café menu.txt')).toString()).toBe('hello');
  });

  it('deletes: a file, then a directory only with recursive=true', async () => {
    const file = await curl(['-X', 'DELETE'], '/api/v1/files/rest/sub/moved.bin');
    expect(file.status).toBe(204);
    const gone = await curl([], '/api/v1/files/rest/sub/moved.bin');
    expect(gone.status).toBe(404);
    expect(json(gone)).toMatchObject({ code: 'NOT_FOUND' });

    const notEmpty = await curl(['-X', 'DELETE'], '/api/v1/files/rest/sub');
    expect(notEmpty.status).toBe(409);
    expect(json(notEmpty)).toMatchObject({ code: 'NOT_EMPTY' });
    const tree = await curl(['-X', 'DELETE'], '/api/v1/files/rest/sub?recursive=true');
    expect(tree.status).toBe(204);
    expect(await client.lookup('/rest/sub')).toBeUndefined();
  });

  it('answers bad requests with a JSON {code, message} and the status of the code', async () => {
    const cases: [string[], string, number, string][] = [
      [['-X', 'PUT', '--data-binary', 'x'], '/api/v1/files/missing/dir/f', 404, 'NOT_FOUND'],
      [['-X', 'PUT', '--data-binary', 'x'], '/api/v1/files/rest', 409, 'IS_A_DIRECTORY'],
      [[], '/api/v1/files/rest', 409, 'IS_A_DIRECTORY'],
      [[], '/api/v1/files/rest?op=frobnicate', 400, 'INVALID_ARGUMENT'],
      [[], '/api/v1/files/rest/%2E%2E/etc', 400, 'INVALID_PATH'],
      [['-X', 'POST'], '/api/v1/files/rest?op=rename', 400, 'INVALID_ARGUMENT'],
      [['-X', 'POST'], '/api/v1/files/rest?op=mkdir', 409, 'ALREADY_EXISTS'],
      // A form cut off inside its first part: busboy's parse error is the client's, not the gateway's.
      [
        ['-H', 'content-type: multipart/form-data; boundary=b', '--data-binary', '--b\r\nnot a part header'],
        '/api/v1/files/rest?op=upload',
        400,
        'INVALID_ARGUMENT',
      ],
    ];
    for (const [args, path, status, code] of cases) {
      const result = await curl(args, path);
      expect(result.status, path).toBe(status);
      expect(json(result), path).toMatchObject({ code, message: expect.any(String) });
    }
    await client.writeFile('/rest/kept.txt', 'old');
    const refused = await curl(['-T', join(localDir, 'upload.bin')], '/api/v1/files/rest/kept.txt?overwrite=false');
    expect(refused.status).toBe(409);
    expect(json(refused)).toMatchObject({ code: 'ALREADY_EXISTS' });
    expect((await client.readFile('/rest/kept.txt')).toString()).toBe('old');
  });

  it('leaves nothing at the target when an upload is cut off midway', async () => {
    // curl streams stdin with chunked encoding; it is killed after 2 MiB of a promised larger body.
    const child = spawn('curl', ['-sS', '-T', '-', `${gateway.url}/api/v1/files/rest/cut.bin`], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin.on('error', () => undefined);
    child.stdin.write(seededBytes(2 * MiB, 9));
    // Wait until the gateway has started writing it (a temporary file appears), then cut.
    await waitFor('the upload to start', async () =>
      (await client.readdir('/rest')).some((entry) => entry.name.includes('cut.bin')) ? true : undefined,
    );
    child.kill('SIGKILL');
    await exited;
    await waitFor('the temporary file to be removed', async () =>
      (await client.readdir('/rest')).some((entry) => entry.name.includes('cut.bin')) ? undefined : true,
    );
    expect(await client.lookup('/rest/cut.bin')).toBeUndefined();
  });

  it('streams large uploads: the peak memory of the gateway stays far below the bytes it took in', async () => {
    // 256 MiB through PUT and 256 MiB more through a multipart form: buffered whole, either would
    // lift the gateway's peak RSS (VmHWM) past 256 MiB plus Node's own ~60 MiB; streamed, it holds
    // a few 4 MiB pieces. (Nothing goes to local disk either: the storage engine has no temp file.)
    const size = 256 * MiB;
    const big = join(localDir, 'big.bin');
    await writeFile(big, seededBytes(size, 11));
    await client.mkdir('/big');
    const put = await curl(['-T', big], '/api/v1/files/big/put.bin');
    expect(put.status).toBe(201);
    const form = await curl(['-F', `file=@${big};filename=form.bin`], '/api/v1/files/big?op=upload');
    expect(form.status).toBe(201);
    expect(json(form)).toEqual({ files: [expect.objectContaining({ path: '/big/form.bin', size })] });
    for (const name of ['put.bin', 'form.bin']) expect((await client.stat(`/big/${name}`)).size).toBe(size);
    const status = await readFile(`/proc/${gateway.process.pid}/status`, 'utf8');
    const peakKiB = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
    // Measured here: ~140 MiB (Node, express, the SDK's pieces in flight, garbage not yet collected).
    expect(peakKiB * 1024).toBeLessThan(240 * MiB);
    await client.rm('/big', { recursive: true });
  });

  it('serves /healthz and /metrics, and a second gateway on a port in use fails with one line', async () => {
    expect((await curl([], '/healthz')).status).toBe(200);
    const metrics = await curl([], '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body.toString()).toContain('process_cpu_seconds_total');
    // The file API's requests are timed under one route label, never under the paths they name.
    const latency = /^gfs_http_request_duration_seconds_count\{(.*)\} (\d+)$/gm;
    const series = [...metrics.body.toString().matchAll(latency)].map((match) => match[1] ?? '');
    expect(series.some((labels) => labels.includes('route="/api/v1/files/*path"'))).toBe(true);
    expect(series.every((labels) => !/route="\/api\/v1\/files\/[^*]/.test(labels))).toBe(true);
    const port = new URL(gateway.url).port;
    const second = await runGfs(['gateway', '--master', cluster.masterUrl, '--port', port]);
    expect(second.code).toBe(1);
    expect(second.stderr).toBe(`gfs: cannot listen (EADDRINUSE): 127.0.0.1:${port}\n`);
  });
});
