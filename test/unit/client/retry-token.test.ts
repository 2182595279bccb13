// The SDK's retry loop and chunk access tokens: an expired token is retried once per call, at
// once, after `onRetry` (which drops the cached location or lease) has finished; a second expiry
// in the same call, and every other token refusal, reach the caller.

import { describe, expect, it } from 'vitest';
import { withRetries } from '../../../client/sdk/retry.js';
import { GfsError } from '../../../shared/errors.js';

const noSleep = { sleep: async () => undefined };

describe('withRetries and chunk access tokens', () => {
  it('retries TOKEN_EXPIRED once, without back-off, after onRetry has finished', async () => {
    const events: string[] = [];
    const slept: number[] = [];
    const result = await withRetries(
      async (attempt) => {
        events.push(`attempt ${attempt}`);
        if (attempt === 0) throw new GfsError('TOKEN_EXPIRED', 'chunk access token expired 3 s ago', '12');
        return 'read';
      },
      {
        onRetry: async (error) => {
          await new Promise((resolve) => setTimeout(resolve, 10));
          events.push(`dropped the cache after ${error.code}`);
        },
        sleep: async (ms) => {
          slept.push(ms);
        },
      },
    );
    expect(result).toBe('read');
    expect(events).toEqual(['attempt 0', 'dropped the cache after TOKEN_EXPIRED', 'attempt 1']);
    expect(slept).toEqual([]);
  });

  it('fails with TOKEN_EXPIRED when the new token expires too', async () => {
    let attempts = 0;
    let retries = 0;
    const outcome = withRetries(
      async () => {
        attempts++;
        throw new GfsError('TOKEN_EXPIRED', 'chunk access token expired', '12');
      },
      { onRetry: () => void retries++, ...noSleep },
    );
    await expect(outcome).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
    expect([attempts, retries]).toEqual([2, 1]);
  });

  it('still retries other errors after a token was renewed, and renews only once', async () => {
    const codes = ['TOKEN_EXPIRED', 'UNAVAILABLE', 'TOKEN_EXPIRED'] as const;
    let attempt = 0;
    const outcome = withRetries(async () => {
      const code = codes[attempt++];
      if (code !== undefined) throw new GfsError(code, code, '12');
      return 'done';
    }, noSleep);
    await expect(outcome).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
    expect(attempt).toBe(3);
  });

  it('never retries the other token refusals', async () => {
    for (const code of ['TOKEN_INVALID', 'TOKEN_WRONG_CHUNK', 'TOKEN_WRONG_MODE'] as const) {
      let attempts = 0;
      const outcome = withRetries(
        async () => {
          attempts++;
          throw new GfsError(code, 'refused', '12');
        },
        { onRetry: () => undefined, ...noSleep },
      );
      await expect(outcome).rejects.toMatchObject({ code });
      expect({ code, attempts }).toEqual({ code, attempts: 1 });
    }
  });
});
