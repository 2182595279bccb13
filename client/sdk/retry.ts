// The SDK's one retry loop: bounded by a count and, where the caller says so, kept going for a
// minimum time (a write to a dead chunkserver fails until the master has declared it dead and
// re-granted the lease), with a growing back-off between attempts. An expired chunk access token
// is retried once per call, at once: `onRetry` drops the cached location or lease it came with, so
// the next attempt asks the master for a new one; a second expiry in one call is the caller's.

import { GfsError, isRetryable } from '../../shared/errors.js';
import { CLIENT_RETRIES_MAX, CLIENT_RETRY_BACKOFF_MS } from '../../shared/limits.js';
import type { Logger } from '../../shared/log.js';

/** Longest single back-off: retries stay frequent enough to notice recovery soon. */
export const RETRY_BACKOFF_MS_MAX = 2_000;

export interface RetryOptions {
  /** Called (and awaited) after each failed attempt that will be retried: drop caches here. */
  onRetry?: (error: GfsError, attempt: number) => void | Promise<void>;
  /** Narrows which retryable errors are retried (default: all of them). */
  retryIf?: (error: GfsError) => boolean;
  /** Keep retrying at least this long after the first attempt, whatever the count (0: count only). */
  patienceMs?: (error: GfsError) => number;
  retriesMax?: number;
  /** Each retry is logged here at debug, with its attempt number and what it retries. */
  logger?: Logger | undefined;
  /** What is retried, for the log line (`write chunk 3 of /a`). */
  what?: string;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export function isRetryableError(error: unknown): error is GfsError {
  return error instanceof GfsError && isRetryable(error);
}

export function backoffMs(attempt: number): number {
  return Math.min(RETRY_BACKOFF_MS_MAX, CLIENT_RETRY_BACKOFF_MS * 2 ** Math.min(attempt, 16));
}

export async function withRetries<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? delay;
  const retriesMax = options.retriesMax ?? CLIENT_RETRIES_MAX;
  const startedMs = now();
  let tokenRenewed = false;
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (error instanceof GfsError && error.code === 'TOKEN_EXPIRED' && !tokenRenewed) {
        tokenRenewed = true;
        await options.onRetry?.(error, attempt);
        options.logger?.debug(
          { attempt: attempt + 1, code: error.code, subject: error.subject },
          `retrying ${options.what ?? 'call'} with a new chunk access token: ${error.message}`,
        );
        continue;
      }
      if (!isRetryableError(error) || options.retryIf?.(error) === false) throw error;
      const patienceMs = options.patienceMs?.(error) ?? 0;
      if (attempt + 1 >= retriesMax && now() - startedMs >= patienceMs) throw error;
      await options.onRetry?.(error, attempt);
      const waitMs = backoffMs(attempt);
      options.logger?.debug(
        { attempt: attempt + 1, code: error.code, subject: error.subject, backoffMs: waitMs },
        `retrying ${options.what ?? 'call'} after ${error.code}: ${error.message}`,
      );
      await sleep(waitMs);
    }
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
