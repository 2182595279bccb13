// The REST file API under `/api/v1/files/<path>` (DESIGN §7, docs/gateway.md), in the spirit of
// WebHDFS: GET content (one HTTP Range honoured) or `?op=list|stat`, PUT a raw body, DELETE, and
// POST `?op=mkdir|rename&to=<path>` or `?op=upload` (a multipart form, the dashboard's browser).

import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { entryJson, statJson } from '../client/cli/format.js';
import type { GfsClient } from '../client/sdk/client.js';
import { GfsError } from '../shared/errors.js';
import {
  GATEWAY_UPLOAD_FIELD_BYTES_MAX,
  GATEWAY_UPLOAD_FIELDS_MAX,
  GATEWAY_UPLOAD_FILES_MAX,
} from '../shared/limits.js';
import { writeAtomically } from './atomic-write.js';
import { parseRange } from './byte-range.js';
import { clusterPathOf, clusterPathParam } from './file-path.js';
import { GfsStorage } from './gfs-storage.js';

export const FILES_PREFIX = '/api/v1/files';

/** The directory each upload request writes into (set before multer runs, read by the storage engine). */
const uploadTargets = new WeakMap<Request, { directory: string; overwrite: boolean }>();

/** One handler for every method under FILES_PREFIX (mounted with `app.use`). */
export function fileRoutes(client: GfsClient): RequestHandler {
  const upload = multer({
    storage: new GfsStorage({
      client,
      directoryOf: (req) => uploadTargets.get(req)?.directory ?? '/',
      overwriteOf: (req) => uploadTargets.get(req)?.overwrite ?? true,
    }),
    limits: {
      files: GATEWAY_UPLOAD_FILES_MAX,
      fields: GATEWAY_UPLOAD_FIELDS_MAX,
      fieldSize: GATEWAY_UPLOAD_FIELD_BYTES_MAX,
    },
    // Browsers send file names as raw UTF-8 in Content-Disposition.
    defParamCharset: 'utf8',
  }).array('file', GATEWAY_UPLOAD_FILES_MAX);

  return (req: Request, res: Response, next: NextFunction) => {
    serve(client, upload, req, res).catch(next);
  };
}

/** What one operation gets: the cluster path the URL names, and the multer upload handler. */
interface OperationContext {
  client: GfsClient;
  upload: RequestHandler;
  req: Request;
  res: Response;
  path: string;
}

/**
 * Every operation of the file API, keyed `METHOD op` (`op` empty when the query has none): the one
 * table both the dispatcher and the route list (docs, the route fuzzer) are derived from.
 */
const OPERATIONS: Record<string, (context: OperationContext) => Promise<void>> = {
  'GET ': ({ client, req, res, path }) => sendContent(client, req, res, path),
  'HEAD ': ({ client, req, res, path }) => sendContent(client, req, res, path),
  'GET list': async ({ client, res, path }) => {
    const entries = await client.readdir(path);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    res.json(entries.map(entryJson));
  },
  'GET stat': async ({ client, res, path }) => {
    res.json(statJson(await client.stat(path)));
  },
  'PUT ': async ({ client, req, res, path }) => {
    await writeAtomically(client, path, req, {
      overwrite: queryFlag(req, 'overwrite', true),
      expectedBytes: contentLengthOf(req),
    });
    res
      .status(201)
      .location(`${FILES_PREFIX}${encodePath(path)}`)
      .json(statJson(await client.stat(path)));
  },
  'DELETE ': async ({ client, req, res, path }) => {
    await client.rm(path, { recursive: queryFlag(req, 'recursive', false) });
    res.status(204).end();
  },
  'POST mkdir': async ({ client, req, res, path }) => {
    await client.mkdir(path, { recursive: queryFlag(req, 'parents', false) });
    res.status(201).json(statJson(await client.stat(path)));
  },
  'POST rename': async ({ client, req, res, path }) => {
    const to = clusterPathParam('to', queryString(req, 'to'));
    await client.rename(path, to);
    res.json(statJson(await client.stat(to)));
  },
  'POST upload': ({ client, upload, req, res, path }) => receiveUpload(client, upload, req, res, path),
};

/** The file API's operations as `{method, op}` (op undefined: none in the query). */
export const FILE_OPERATIONS: readonly { method: string; op: string | undefined }[] = Object.keys(OPERATIONS).map(
  (key) => {
    const [method = '', op = ''] = key.split(' ');
    return { method, op: op === '' ? undefined : op };
  },
);

async function serve(client: GfsClient, upload: RequestHandler, req: Request, res: Response): Promise<void> {
  const path = clusterPathOf(req.path);
  const op = queryString(req, 'op');
  const key = `${req.method} ${op ?? ''}`;
  const operation = Object.hasOwn(OPERATIONS, key) ? OPERATIONS[key] : undefined;
  if (operation === undefined) {
    throw new GfsError('INVALID_ARGUMENT', `no such operation: ${req.method} op=${op ?? '(none)'}`, req.originalUrl);
  }
  await operation({ client, upload, req, res, path });
}

/** GET/HEAD: the file's bytes (or the one range asked for), streamed from the chunkservers. */
async function sendContent(client: GfsClient, req: Request, res: Response, path: string): Promise<void> {
  const entry = await client.stat(path);
  if (entry.type === 'dir') throw new GfsError('IS_A_DIRECTORY', 'is a directory (use ?op=list)', path);
  // Size and mtime change with every write: cheap, and enough to tell versions of a file apart.
  const etag = `"${entry.size.toString(16)}-${Math.trunc(entry.mtimeMs).toString(16)}"`;
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('ETag', etag);
  res.setHeader('Last-Modified', new Date(entry.mtimeMs).toUTCString());
  res.setHeader('Content-Type', 'application/octet-stream');
  if (req.headers['if-none-match'] === etag) {
    res.status(304).end();
    return;
  }
  // If-Range with another validator: the file changed since the client's first part; send it all.
  const ifRange = req.headers['if-range'];
  const rangeHeader = ifRange === undefined || ifRange === etag ? req.headers.range : undefined;
  const answer = parseRange(rangeHeader, entry.size);
  if (answer.kind === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${entry.size}`);
    res.status(416).json({ code: 'INVALID_ARGUMENT', message: 'range not satisfiable', subject: rangeHeader });
    return;
  }
  let start = 0;
  let end = entry.size - 1;
  if (answer.kind === 'partial') {
    ({ start, end } = answer.range);
    res.status(206).setHeader('Content-Range', `bytes ${start}-${end}/${entry.size}`);
  }
  res.setHeader('Content-Length', String(end - start + 1));
  if (req.method === 'HEAD' || entry.size === 0) {
    res.end();
    return;
  }
  const body = client.createReadStream(path, { start, end });
  try {
    // Nothing is sent before the first bytes are in hand: a read that fails at once (no replica
    // reachable, every one stale) is answered as an error, where piping would have destroyed
    // the response and the client would see the connection reset instead.
    await once(body, 'readable');
  } catch (error) {
    body.destroy();
    res.removeHeader('Content-Range');
    res.removeHeader('Content-Length');
    throw error;
  }
  await pipeline(body, res).catch((error: unknown) => {
    // The client went away mid-download: nothing to answer. Any other failure is cut short.
    if (res.destroyed && (req.destroyed || req.socket.destroyed)) return;
    throw error;
  });
}

async function receiveUpload(
  client: GfsClient,
  upload: RequestHandler,
  req: Request,
  res: Response,
  directory: string,
): Promise<void> {
  const entry = await client.stat(directory);
  if (entry.type !== 'dir') throw new GfsError('NOT_A_DIRECTORY', 'uploads go into a directory', directory);
  if (!req.is('multipart/form-data')) {
    throw new GfsError(
      'INVALID_ARGUMENT',
      'op=upload takes a multipart/form-data body (PUT takes a raw one)',
      directory,
    );
  }
  uploadTargets.set(req, { directory, overwrite: queryFlag(req, 'overwrite', true) });
  await new Promise<void>((resolve, reject) => {
    upload(req, res, (error?: unknown) => (error === undefined ? resolve() : reject(uploadError(error, directory))));
  });
  const files = (req.files ?? []) as Express.Multer.File[];
  if (files.length === 0) throw new GfsError('INVALID_ARGUMENT', 'no file in the form (field "file")', directory);
  const stored = await Promise.all(files.map((file) => client.stat(file.path)));
  res.status(201).json({ files: stored.map(entryJson) });
}

/**
 * What a failed upload tells its client. Writes into gfs fail with GfsErrors and multer's limits
 * with MulterErrors (both mapped by errors.ts); anything else comes from busboy parsing the body
 * ("Unexpected end of form", "Malformed part header"): the client sent a broken form.
 */
function uploadError(error: unknown, directory: string): unknown {
  if (error instanceof GfsError || error instanceof multer.MulterError || !(error instanceof Error)) return error;
  return new GfsError('INVALID_ARGUMENT', `malformed multipart body: ${error.message}`, directory);
}

function queryString(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new GfsError('INVALID_ARGUMENT', `query parameter "${name}" given twice`, name);
  return value;
}

function queryFlag(req: Request, name: string, fallback: boolean): boolean {
  const value = queryString(req, name);
  if (value === undefined) return fallback;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new GfsError('INVALID_ARGUMENT', `query parameter "${name}" must be true or false`, value);
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** The request body's declared length, when it gives a valid one (chunked uploads do not). */
function contentLengthOf(req: Request): number | undefined {
  const header = req.headers['content-length'];
  const bytes = header === undefined ? Number.NaN : Number(header);
  return Number.isSafeInteger(bytes) && bytes >= 0 ? bytes : undefined;
}
