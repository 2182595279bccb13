import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GfsError } from '../../../shared/errors.js';
import { ensureSecretFile, parseSecret, resolveSecret } from '../../../shared/security/cluster-secret.js';
import { deriveClusterKeys } from '../../../shared/security/keys.js';
import {
  PEER_BODY_HEADER,
  PEER_CLOCK_SKEW_MS,
  PEER_DATE_HEADER,
  ReplayGuard,
  sha256Hex,
  signPeerRequest,
  verifyPeerRequest,
} from '../../../shared/security/peer-signature.js';
import { seal, unseal } from '../../../shared/security/sealed-token.js';

const keys = deriveClusterKeys(parseSecret('a'.repeat(64), 'test'));
const otherKeys = deriveClusterKeys(parseSecret('b'.repeat(64), 'test'));

function codeOf(run: () => void): string {
  try {
    run();
  } catch (error) {
    if (error instanceof GfsError) return `${error.code}: ${error.message}`;
    throw error;
  }
  return 'accepted';
}

describe('peer request signatures', () => {
  const body = JSON.stringify({ handle: '12', version: 3 });
  const signed = (nowMs = Date.now()) => signPeerRequest(keys.peerRequest, 'POST', '/chunk/grant', body, nowMs);
  const check = (
    headers: Record<string, string>,
    overrides: Partial<{ method: string; path: string; body: string; key: Buffer; guard: ReplayGuard }> = {},
  ) =>
    codeOf(() =>
      verifyPeerRequest(overrides.key ?? keys.peerRequest, overrides.guard ?? new ReplayGuard(), {
        method: overrides.method ?? 'POST',
        pathAndQuery: overrides.path ?? '/chunk/grant',
        headers,
        bodySha256: sha256Hex(overrides.body ?? body),
      }),
    );

  it('accepts the request as signed', () => {
    expect(check(signed())).toBe('accepted');
  });

  it('refuses an altered method, path, body or signature, and another cluster’s key', () => {
    expect(check(signed(), { method: 'PUT' })).toMatch(/^UNAUTHENTICATED: .*bad signature/);
    expect(check(signed(), { path: '/chunk/grant?x=1' })).toMatch(/bad signature/);
    expect(check(signed(), { body: `${body} ` })).toMatch(/body does not match/);
    expect(check({ ...signed(), [PEER_BODY_HEADER]: sha256Hex('other') })).toMatch(/bad signature/);
    expect(check(signed(), { key: otherKeys.peerRequest })).toMatch(/bad signature/);
    expect(check({})).toMatch(/not signed/);
  });

  it('refuses a replay and a timestamp outside the clock window', () => {
    const guard = new ReplayGuard();
    const headers = signed();
    expect(check(headers, { guard })).toBe('accepted');
    expect(check(headers, { guard })).toMatch(/replayed/);
    expect(check(signed(Date.now() - PEER_CLOCK_SKEW_MS - 5_000))).toMatch(/timestamp/);
    const forgedDate = { ...signed(), [PEER_DATE_HEADER]: String(Date.now() + 1) };
    expect(check(forgedDate)).toMatch(/bad signature/);
  });

  it('remembers a nonce for the whole window, and forgets it two windows later', () => {
    const guard = new ReplayGuard(1_000, 0);
    expect(guard.admit('n1', 0)).toBe(true);
    expect(guard.admit('n1', 999)).toBe(false);
    expect(guard.admit('n1', 1_500)).toBe(false);
    expect(guard.admit('n2', 1_999)).toBe(true);
    expect(guard.admit('n1', 4_100)).toBe(true);
  });
});

describe('sealed tokens', () => {
  it('opens only with the key and kind it was sealed with', () => {
    const token = seal(keys.chunkToken, 'ct1', { h: '5', m: 'r' });
    expect(unseal(keys.chunkToken, 'ct1', token)).toEqual({ h: '5', m: 'r' });
    expect(unseal(keys.clientToken, 'ct1', token)).toBeUndefined();
    expect(unseal(keys.chunkToken, 'gfs1', token)).toBeUndefined();
    const [kind, claims, mac] = token.split('.');
    const altered = Buffer.from(JSON.stringify({ h: '6', m: 'r' })).toString('base64url');
    expect(unseal(keys.chunkToken, 'ct1', `${kind}.${altered}.${mac}`)).toBeUndefined();
    expect(unseal(keys.chunkToken, 'ct1', `${kind}.${claims}`)).toBeUndefined();
    expect(unseal(keys.chunkToken, 'ct1', 'x'.repeat(10_000))).toBeUndefined();
  });
});

describe('cluster secret', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('is created once, owner-only, and read back the same', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gfs-secret-'));
    const first = await ensureSecretFile(dir);
    const second = await ensureSecretFile(dir);
    expect(second.secret.equals(first.secret)).toBe(true);
    expect((await stat(first.path)).mode & 0o777).toBe(0o600);
    expect((await readFile(first.path, 'utf8')).trim()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('comes from the file, else GFS_SECRET, else is refused for a server that cannot make one', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gfs-secret-'));
    const { path, secret } = await ensureSecretFile(dir);
    expect((await resolveSecret({ secretFile: path, env: {} }, 'chunkserver')).equals(secret)).toBe(true);
    const fromEnv = await resolveSecret({ env: { GFS_SECRET: 'c'.repeat(40) } }, 'chunkserver');
    expect(fromEnv.toString()).toBe('c'.repeat(40));
    await expect(resolveSecret({ env: {} }, 'chunkserver')).rejects.toThrow(/no cluster secret/);
    await expect(resolveSecret({ env: { GFS_SECRET: 'short' } }, 'chunkserver')).rejects.toThrow(/too short/);
    await expect(resolveSecret({ secretFile: join(dir, 'missing'), env: {} }, 'x')).rejects.toThrow(/ENOENT/);
  });
});
