// fast-check arbitraries of requests, one per route kind: mostly shaped like the route's real
// callers send them (so the handlers behind the validation are reached), mutated in the body, the
// URL, the query and the headers, and now and then sent with another method or content type.

import type { TSchema } from '@sinclair/typebox';
import fc from 'fast-check';
import { crc32cOf } from '../../../shared/checksum.js';
import { INLINE_WRITE_BYTES_MAX } from '../../../shared/limits.js';
import { AddressSchema, HandleSchema, PathSchema } from '../../../shared/protocol/common.js';
import { BODY_CRC_HEADER, DataIdSchema, WANT_BODY_CRC_HEADER } from '../../../shared/protocol/data.js';
import { delegationRecallsRoute } from '../../../shared/protocol/delegations.js';
import { applyMutation, brokenJsonText, edgeNumber, hostileString, mutation } from './hostile.js';
import type { FuzzRequest } from './raw-http.js';
import type { Route, RouteEntry } from './routes.js';
import { arbitraryOf, type Vocabulary } from './schema-arbitrary.js';

/** What exists in the test's cluster, so valid-looking requests name real things. */
export interface FuzzTargets {
  /** `host:port` of servers that answer (chunkservers, the master, the gateway). */
  liveAddresses: string[];
  /**
   * Addresses that refuse at once or cannot be parsed. Never a host name: a fuzzed address must
   * not send a server to DNS (slow, and outside the test's machine).
   */
  deadAddresses: string[];
  /** Cluster paths that exist when fuzzing starts (files and directories). */
  knownPaths: string[];
  /** Handles of chunks that exist when fuzzing starts. */
  knownHandles: string[];
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'FOO', 'get'];

const sameSchema = (a: TSchema, b: TSchema) => JSON.stringify(a) === JSON.stringify(b);

/** One header, or none when its value is undefined. */
function header(name: string, value: string | undefined): Record<string, string> {
  return value === undefined ? {} : { [name]: value };
}

export function requestsFor(entry: RouteEntry, targets: FuzzTargets): fc.Arbitrary<FuzzRequest> {
  const values = vocabularyArbitraries(targets);
  const route: Route = entry.route;
  switch (route.kind) {
    case 'json':
      return jsonRequest(
        entry,
        arbitraryOf(route.def.body, vocabulary(values)),
        route.def === delegationRecallsRoute ? shortWait : undefined,
      );
    case 'push':
      return pushRequest(values);
    case 'read':
      return readRequest(values);
    case 'write-inline':
    case 'apply-inline':
      return inlineRequest(entry.url, route.kind === 'apply-inline', values);
    case 'ops':
      return simpleGet(fc.constant(entry.url));
    case 'static':
      return simpleGet(staticUrl(entry.url));
    case 'file':
      return fileRequest(route.method, route.op, values);
  }
}

interface Values {
  path: fc.Arbitrary<string>;
  address: fc.Arbitrary<string>;
  handle: fc.Arbitrary<string>;
  dataId: fc.Arbitrary<string>;
}

function vocabularyArbitraries(targets: FuzzTargets): Values {
  const newPath = fc
    .array(fc.stringMatching(/^[a-z0-9]{1,6}$/), { minLength: 1, maxLength: 3 })
    .map((names) => `/fuzz-new/${names.join('/')}`);
  return {
    path: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('/', ...targets.knownPaths) },
      { weight: 3, arbitrary: newPath },
      { weight: 2, arbitrary: hostileString.map((name) => `/fuzz-new/${name}`) },
      { weight: 1, arbitrary: hostileString },
    ),
    address: fc.oneof(fc.constantFrom(...targets.liveAddresses), fc.constantFrom(...targets.deadAddresses)),
    handle: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('0', '1', '2', ...targets.knownHandles) },
      { weight: 2, arbitrary: fc.stringMatching(/^(0|[1-9][0-9]{0,19})$/) },
    ),
    dataId: fc.stringMatching(new RegExp(DataIdSchema.pattern ?? '^x{8}$')),
  };
}

function vocabulary(values: Values): Vocabulary {
  return (schema) => {
    if (sameSchema(schema, PathSchema)) return values.path;
    if (sameSchema(schema, AddressSchema)) return values.address;
    if (sameSchema(schema, HandleSchema)) return values.handle;
    if (sameSchema(schema, DataIdSchema)) return values.dataId;
    return undefined;
  };
}

/** The route's method mostly, sometimes any other. */
function methodOf(method: string): fc.Arbitrary<string> {
  return fc.oneof({ weight: 8, arbitrary: fc.constant(method) }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) });
}

/**
 * Percent-encodes the UTF-8 bytes of `text` (lone surrogates as U+FFFD), which encodeURIComponent
 * refuses with an exception.
 */
export function percentEncode(text: string): string {
  let encoded = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    encoded += /[A-Za-z0-9\-_.~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/** A query or path value: mostly percent-encoded as a client would, sometimes raw bytes as they are. */
function urlText(text: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(text, fc.nat(9)).map(([value, roll]) => (roll === 0 ? value : percentEncode(value)));
}

/** A trailing query to a URL that takes none (or more than it takes). */
const strayQuery: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: urlText(hostileString).map((text) => `?${text}`) },
  { weight: 1, arbitrary: urlText(hostileString).map((text) => `?recursive=${text}&recursive=1`) },
);

const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      undefined,
      'text/plain',
      'application/octet-stream',
      'application/json; charset=latin1',
      'multipart/form-data; boundary=x',
      'application/x-www-form-urlencoded',
      'application/json\u0000',
    ),
  },
);

/** The longest wait a fuzzed recall long-poll asks for (the schema allows a minute). */
const RECALL_WAIT_MS_MAX = 200;
const RECALL_WAIT_SCHEMA_MAX = delegationRecallsRoute.body.properties.waitMs.maximum ?? Number.MAX_SAFE_INTEGER;

/**
 * A recall long-poll whose `waitMs` passes validation answers only after that wait when nothing is
 * recalled: up to a minute, past the fuzzer's answer timeout, which would count a wait the route
 * was asked for as a hang. Valid waits are folded into 0..RECALL_WAIT_MS_MAX; invalid ones
 * (negative, fractional, past the maximum, not numbers) are left for the validation to refuse.
 */
function shortWait(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const waitMs: unknown = (body as Record<string, unknown>).waitMs;
  if (typeof waitMs !== 'number' || !Number.isInteger(waitMs) || waitMs <= RECALL_WAIT_MS_MAX) return body;
  // Spread keeps an own `__proto__` key a mutation added (CreateDataProperty, not a setter).
  return waitMs > RECALL_WAIT_SCHEMA_MAX ? body : { ...body, waitMs: waitMs % (RECALL_WAIT_MS_MAX + 1) };
}

/** `adjust` bounds what a route would otherwise take longer than the fuzzer waits for. */
function jsonRequest(
  entry: RouteEntry,
  valid: fc.Arbitrary<unknown>,
  adjust: (body: unknown) => unknown = (body) => body,
): fc.Arbitrary<FuzzRequest> {
  const bodyText = fc.oneof(
    { weight: 4, arbitrary: valid.map((body) => JSON.stringify(adjust(body))) },
    {
      weight: 4,
      arbitrary: fc.tuple(valid, mutation).map(([body, change]) => JSON.stringify(adjust(applyMutation(body, change)))),
    },
    { weight: 2, arbitrary: brokenJsonText },
  );
  const withBody = entry.method !== 'GET';
  return fc
    .record({
      method: methodOf(entry.method),
      query: strayQuery,
      type: contentType,
      body: withBody ? bodyText.map((text) => text ?? '') : fc.option(bodyText, { freq: 5 }),
    })
    .map(({ method, query, type, body }) => ({
      method,
      target: `${entry.url}${query}`,
      headers: header('content-type', type),
      ...(body === null ? {} : { body: Buffer.from(body) }),
    }));
}

/** A decimal parameter: mostly a plausible one, else an edge, a negative or not a number at all. */
const numberText: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.nat(2_000_000).map(String) },
  { weight: 2, arbitrary: edgeNumber.map(String) },
  { weight: 1, arbitrary: fc.constantFrom('', '-0', '+1', '0x10', '1e3', '01', ' 1', '１', 'NaN', 'Infinity') },
  { weight: 1, arbitrary: urlText(hostileString) },
);

function addressList(values: Values): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.array(values.address, { maxLength: 3 }).map((list) => percentEncode(list.join(','))),
    },
    { weight: 1, arbitrary: urlText(hostileString) },
    { weight: 1, arbitrary: fc.constant(Array.from({ length: 40 }, () => '127.0.0.1:1').join(',')) },
  );
}

const octets: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 4096 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 * INLINE_WRITE_BYTES_MAX }).map((n) => Buffer.alloc(n, 7)) },
);

function pushRequest(values: Values): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      method: methodOf('PUT'),
      dataId: fc.oneof({ weight: 4, arbitrary: values.dataId }, { weight: 1, arbitrary: urlText(hostileString) }),
      chain: fc.option(addressList(values), { freq: 2 }),
      type: fc.constantFrom('application/octet-stream', 'application/json', undefined),
      body: octets,
    })
    .map(({ method, dataId, chain, type, body }) => ({
      method,
      target: `/push/${dataId}${chain === null ? '' : `?chain=${chain}`}`,
      headers: header('content-type', type),
      body,
    }));
}

/** `key=value` pairs, now and then one missing, doubled or unknown. */
function queryOf(pairs: [string, string][], roll: number): string {
  const chosen = [...pairs];
  if (roll === 1) chosen.pop();
  if (roll === 2 && chosen[0] !== undefined) chosen.push(chosen[0]);
  if (roll === 3) chosen.push(['extra', '1']);
  return chosen.map(([key, value]) => `${key}=${value}`).join('&');
}

function readRequest(values: Values): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      method: methodOf('GET'),
      handle: fc.oneof({ weight: 4, arbitrary: values.handle }, { weight: 1, arbitrary: urlText(hostileString) }),
      version: numberText,
      offset: numberText,
      length: numberText,
      roll: fc.nat(9),
      wantCrc: fc.boolean(),
    })
    .map(({ method, handle, version, offset, length, roll, wantCrc }) => ({
      method,
      target: `/chunk/${handle}?${queryOf(
        [
          ['version', version],
          ['offset', offset],
          ['length', length],
        ],
        roll,
      )}`,
      headers: header(WANT_BODY_CRC_HEADER, wantCrc ? '1' : undefined),
    }));
}

function inlineRequest(url: string, withSerial: boolean, values: Values): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      method: methodOf('PUT'),
      handle: fc.oneof({ weight: 4, arbitrary: values.handle }, { weight: 1, arbitrary: urlText(hostileString) }),
      version: numberText,
      offset: numberText,
      serial: numberText,
      secondaries: addressList(values),
      roll: fc.nat(9),
      body: octets,
      crc: fc.oneof(
        { weight: 4, arbitrary: fc.constant('right') },
        { weight: 1, arbitrary: fc.constantFrom('', '-1', '99999999999', 'abc', '4294967296') },
        { weight: 1, arbitrary: fc.constant(undefined) },
      ),
    })
    .map(({ method, handle, version, offset, serial, secondaries, roll, body, crc }) => {
      const pairs: [string, string][] = [
        ['handle', handle],
        ['version', version],
        ['offset', offset],
        withSerial ? ['serial', serial] : ['secondaries', secondaries],
      ];
      const crcHeader = crc === 'right' ? String(crc32cOf(body)) : crc;
      return {
        method,
        target: `${url}?${queryOf(pairs, roll)}`,
        headers: {
          'content-type': 'application/octet-stream',
          ...(crcHeader === undefined ? {} : { [BODY_CRC_HEADER]: crcHeader }),
        },
        body,
      };
    });
}

function simpleGet(url: fc.Arbitrary<string>): fc.Arbitrary<FuzzRequest> {
  return fc.record({ method: methodOf('GET'), url, query: strayQuery }).map(({ method, url: path, query }) => ({
    method,
    target: `${path}${query}`,
    headers: {},
  }));
}

/** A static file's URL, or one that tries to climb out of the directory static files come from. */
function staticUrl(url: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(url) },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.constantFrom('..', '%2e%2e', '..%2f..', '%2e%2e%5c', '.%2e'), { minLength: 1, maxLength: 8 })
        .chain((ups) => fc.constantFrom(...LEAK_TARGETS).map((target) => `/${ups.join('/')}/${target}`)),
    },
    { weight: 1, arbitrary: urlText(hostileString).map((text) => `/${text}`) },
  );
}

/** Files outside the servers' directories a traversal would try to read (`leakMarkers` finds them). */
const LEAK_TARGETS = ['etc/passwd', 'package.json', '..%2fpackage.json', 'gateway/main.ts'];

/** Text that only a file read from outside the servers' directories would put in an answer. */
export const LEAK_MARKERS = ['root:x:0:0', '"name": "gfs"', 'startGateway('];

/** Range headers of every shape RFC 9110 allows and many it does not. */
const rangeHeader: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.option(numberText), fc.option(numberText))
      .map(([first, last]) => `bytes=${first ?? ''}-${last ?? ''}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'bytes=0-0,1-1,2-2',
      'bytes=-0',
      'bytes=99999999999999999999-',
      'bytes=0-99999999999999999999',
      'items=0-1',
      'bytes=5-1',
      'bytes=-',
      'bytes 0-1',
      `bytes=${'0-0,'.repeat(2000)}0-0`,
    ),
  },
);

/** A directory below the files prefix as a URL path: encoded segments, or hostile ones. */
function filePath(values: Values): fc.Arbitrary<string> {
  const encoded = (path: string) =>
    path
      .split('/')
      .map((name) => percentEncode(name))
      .join('/');
  return fc.oneof(
    { weight: 4, arbitrary: values.path.map((path) => (path.startsWith('/') ? encoded(path) : `/${encoded(path)}`)) },
    {
      weight: 2,
      arbitrary: fc.array(urlText(hostileString), { minLength: 1, maxLength: 3 }).map((names) => `/${names.join('/')}`),
    },
    { weight: 1, arbitrary: fc.constantFrom('', '/', '//', '/./', '/%2F', '/a%2Fb', '/%00', '/%zz', '/..%2F..%2Fetc') },
  );
}

function flagValue(): fc.Arbitrary<string> {
  return fc.oneof(fc.constantFrom('true', 'false', '1', '0'), urlText(hostileString));
}

/** A multipart form like a browser's, with a hostile file name now and then, or a broken one. */
function multipartBody(): fc.Arbitrary<{ type: string; body: Buffer }> {
  const boundary = 'fuzzboundary';
  const wellFormed = fc
    .tuple(
      fc.oneof(fc.stringMatching(/^[a-z]{1,8}\.txt$/), hostileString),
      fc.uint8Array({ maxLength: 2048 }),
      fc.constantFrom('file', 'other', ''),
    )
    .map(([name, bytes, field]) => ({
      type: `multipart/form-data; boundary=${boundary}`,
      body: Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
          'utf8',
        ),
        Buffer.from(bytes),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]),
    }));
  const broken = fc
    .tuple(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.constantFrom(`multipart/form-data; boundary=${boundary}`, 'multipart/form-data', 'text/plain'),
    )
    .map(([text, type]) => ({ type, body: Buffer.from(`--${boundary}\r\n${text}`) }));
  return fc.oneof({ weight: 3, arbitrary: wellFormed }, { weight: 1, arbitrary: broken });
}

function fileRequest(method: string, op: string | undefined, values: Values): fc.Arbitrary<FuzzRequest> {
  const toPath = values.path.map((path) => percentEncode(path));
  return fc
    .record({
      method: methodOf(method),
      path: filePath(values),
      flag: fc.option(flagValue(), { freq: 2 }),
      to: fc.oneof({ weight: 4, arbitrary: toPath }, { weight: 1, arbitrary: urlText(hostileString) }),
      doubled: fc.nat(9),
      range: rangeHeader,
      ifNoneMatch: fc.option(fc.constantFrom('*', '"0-0"', '""', 'x'), { freq: 4 }),
      rawBody: octets,
      form: multipartBody(),
    })
    .map(({ method: sent, path, flag, to, doubled, range, ifNoneMatch, rawBody, form }) => {
      const query: string[] = [];
      if (op !== undefined) query.push(`op=${op}`);
      if (doubled === 0) query.push('op=list');
      if (op === 'rename') query.push(`to=${to}`);
      if (flag !== null)
        query.push(`${op === 'mkdir' ? 'parents' : sent === 'DELETE' ? 'recursive' : 'overwrite'}=${flag}`);
      const headers: Record<string, string> = {};
      if (range !== undefined) headers.range = range;
      if (ifNoneMatch !== null) headers['if-none-match'] = ifNoneMatch;
      let body: Buffer | undefined;
      if (op === 'upload') {
        headers['content-type'] = form.type;
        body = form.body;
      } else if (sent === 'PUT' || sent === 'POST') {
        headers['content-type'] = 'application/octet-stream';
        body = rawBody;
      }
      return {
        method: sent,
        target: `/api/v1/files${path}${query.length === 0 ? '' : `?${query.join('&')}`}`,
        headers,
        ...(body === undefined ? {} : { body }),
      };
    });
}
