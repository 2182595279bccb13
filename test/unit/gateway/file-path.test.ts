// The cluster path a REST URL names: percent-decoding per segment, the root, and what is refused.

import { describe, expect, it } from 'vitest';
import { clusterPathOf, clusterPathParam } from '../../../gateway/file-path.js';
import { codeOf } from '../../harness/error-code.js';

describe('clusterPathOf', () => {
  it('decodes each segment and normalises', () => {
    expect(clusterPathOf('/a/caf%C3%A9%20menu.txt')).toBe('/a/café menu.txt');
    expect(clusterPathOf('/a//b/')).toBe('/a/b');
    expect(clusterPathOf('/')).toBe('/');
    expect(clusterPathOf('')).toBe('/');
    expect(clusterPathOf('/100%25')).toBe('/100%');
  });

  it('refuses .., an encoded slash and broken escapes as INVALID_PATH', () => {
    for (const raw of ['/a/%2E%2E/b', '/a/..', '/a%2Fb', '/bad%E0%A4%A', '/nul%00']) {
      expect(
        codeOf(() => clusterPathOf(raw)),
        raw,
      ).toBe('INVALID_PATH');
    }
  });
});

describe('clusterPathParam', () => {
  it('takes an absolute path and refuses a missing or relative one', () => {
    expect(clusterPathParam('to', '/x/y/')).toBe('/x/y');
    expect(codeOf(() => clusterPathParam('to', undefined))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => clusterPathParam('to', 'x/y'))).toBe('INVALID_PATH');
  });
});
