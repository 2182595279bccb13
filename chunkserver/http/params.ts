// Strict parsing of the query strings and headers of the bare node:http data path: decimal
// integers only, addresses from a small alphabet, bounded lists. Anything else is the client's
// fault (INVALID_ARGUMENT, 400), named in the error.

import type { IncomingMessage } from 'node:http';
import { GfsError } from '../../shared/errors.js';
import { ADDRESS_PATTERN } from '../../shared/protocol/common.js';

const ADDRESS = new RegExp(ADDRESS_PATTERN);
/** Longer chains than any replication factor are refused. */
const ADDRESSES_MAX = 16;

/** A non-negative decimal integer query parameter (at most 15 digits: exact in a double). */
export function integerParam(url: URL, key: string): number {
  const text = url.searchParams.get(key) ?? '';
  if (!/^\d{1,15}$/.test(text)) throw new GfsError('INVALID_ARGUMENT', `${key} must be a non-negative integer`, text);
  return Number(text);
}

/** A comma-separated list of `host:port` addresses (absent or empty: none). */
export function addressListParam(url: URL, key: string): string[] {
  const text = url.searchParams.get(key) ?? '';
  const addresses = text === '' ? [] : text.split(',');
  if (addresses.length > ADDRESSES_MAX || addresses.some((address) => !ADDRESS.test(address))) {
    throw new GfsError('INVALID_ARGUMENT', `malformed ${key}`, text.slice(0, 200));
  }
  return addresses;
}

/** The request's Content-Length, or undefined when it sent none. */
export function declaredLength(request: IncomingMessage): number | undefined {
  const header = request.headers['content-length'];
  if (header === undefined) return undefined;
  if (!/^\d{1,15}$/.test(header)) throw new GfsError('INVALID_ARGUMENT', 'malformed content-length', header);
  return Number(header);
}
