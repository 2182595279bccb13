// The cluster path a REST request names: what follows `/api/v1/files` in the URL, each segment
// percent-decoded, then normalised like any cluster path (`..` and NUL refused as INVALID_PATH).

import { GfsError } from '../shared/errors.js';
import { normalizePath } from '../shared/paths.js';

/** `urlPath` is the request path below the files prefix (`/a/b%20c`, or `` / `/` for the root). */
export function clusterPathOf(urlPath: string): string {
  const segments = urlPath.split('/').map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      throw new GfsError('INVALID_PATH', 'bad percent-encoding in path', urlPath);
    }
  });
  // A decoded segment holding a slash would silently name another directory.
  if (segments.some((segment) => segment.includes('/'))) {
    throw new GfsError('INVALID_PATH', 'path segment contains an encoded "/"', urlPath);
  }
  return normalizePath(`/${segments.join('/')}`);
}

/** A path given as a query value (`?to=/new/name`): absolute, normalised. */
export function clusterPathParam(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new GfsError('INVALID_ARGUMENT', `query parameter "${name}" is required`, name);
  }
  return normalizePath(value);
}
