// Client tokens (shared/security/client-token.ts): minted and verified with the cluster's key,
// refused when forged, altered, expired, of another kind or another cluster; names validated.

import { describe, expect, it } from 'vitest';
import { mintClientToken, readClientClaims, verifyClientToken } from '../../../shared/security/client-token.js';
import { deriveClusterKeys } from '../../../shared/security/keys.js';
import { seal } from '../../../shared/security/sealed-token.js';
import { codeOf } from '../../harness/error-code.js';

const keys = deriveClusterKeys(Buffer.from('a'.repeat(64)));
const otherKeys = deriveClusterKeys(Buffer.from('b'.repeat(64)));

describe('client tokens', () => {
  it('carry user, groups and superuser, verified with the same cluster key', () => {
    const token = mintClientToken(keys, { user: 'alice', groups: ['staff', 'alice'], superuser: false }, 1000);
    expect(verifyClientToken(keys, token, undefined, 2000)).toMatchObject({
      user: 'alice',
      groups: ['staff', 'alice'],
      superuser: false,
      issued: 1000,
    });
    expect(readClientClaims(token)?.user).toBe('alice');
  });

  it('default the groups to one named as the user', () => {
    const token = mintClientToken(keys, { user: 'bob' });
    expect(verifyClientToken(keys, token).groups).toEqual(['bob']);
  });

  it('are refused when forged, altered, of another cluster or another kind', () => {
    const token = mintClientToken(keys, { user: 'alice' });
    expect(codeOf(() => verifyClientToken(otherKeys, token))).toBe('UNAUTHENTICATED');
    const [kind, , mac] = token.split('.');
    const forged = `${kind}.${Buffer.from(JSON.stringify({ id: 'x', user: 'root', groups: ['root'], superuser: true, issued: 0 })).toString('base64url')}.${mac}`;
    expect(codeOf(() => verifyClientToken(keys, forged))).toBe('UNAUTHENTICATED');
    expect(codeOf(() => verifyClientToken(keys, seal(keys.chunkToken, 'gfsuser', { user: 'a' })))).toBe(
      'UNAUTHENTICATED',
    );
    expect(codeOf(() => verifyClientToken(keys, seal(keys.clientToken, 'chunk', { user: 'a' })))).toBe(
      'UNAUTHENTICATED',
    );
    expect(codeOf(() => verifyClientToken(keys, 'garbage'))).toBe('UNAUTHENTICATED');
  });

  it('expire', () => {
    const token = mintClientToken(keys, { user: 'alice', validForMs: 1000 }, 10_000);
    expect(verifyClientToken(keys, token, undefined, 10_999).user).toBe('alice');
    expect(() => verifyClientToken(keys, token, undefined, 11_000)).toThrow(/expired/);
  });

  it('refuse unsafe names and bad durations', () => {
    for (const user of ['', '../x', '-rf', 'a b', 'a:b', 'x'.repeat(65), 'é']) {
      expect(codeOf(() => mintClientToken(keys, { user }))).toBe('INVALID_ARGUMENT');
    }
    expect(codeOf(() => mintClientToken(keys, { user: 'a', groups: ['ok', 'no/slash'] }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => mintClientToken(keys, { user: 'a', validForMs: 0 }))).toBe('INVALID_ARGUMENT');
    expect(mintClientToken(keys, { user: 'svc_backup-2.x' })).toMatch(/^gfsuser\./);
  });
});
