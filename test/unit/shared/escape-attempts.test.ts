// No name that arrives over the network can leave the directory it is meant for: chunk handles
// become file names under a chunkserver's data directory, push data ids keys of its buffer, and
// gateway URLs cluster paths. Each spelling of an escape is refused, and, as properties over any
// string, whatever is accepted stays inside.

import { join, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePushUrl } from '../../../chunkserver/http/push.js';
import { parseReadUrl } from '../../../chunkserver/http/read.js';
import { checkHandle, isValidHandle } from '../../../chunkserver/store/handle.js';
import { clusterPathOf } from '../../../gateway/file-path.js';
import { GfsError } from '../../../shared/errors.js';
import { NAME_BYTES_MAX, PATH_BYTES_MAX } from '../../../shared/limits.js';
import { normalizePath } from '../../../shared/paths.js';
import { AddressSchema, HandleSchema } from '../../../shared/protocol/common.js';
import { codeOf } from '../../harness/error-code.js';

const ESCAPES = [
  '..',
  '../../etc',
  '../../etc/passwd',
  '/etc/passwd',
  '%2e%2e',
  '%2e%2e%2f%2e%2e%2fetc',
  '..%2f..%2fetc',
  '1/../../etc',
  '1\0',
  '\0',
  '.',
  '',
  '~',
  '1'.repeat(300),
];

describe('chunk handles', () => {
  it('refuses every escape spelling, leading zeros, signs and values past 2^64 − 1', () => {
    for (const handle of [...ESCAPES, '01', '+1', '-1', '0x10', '1e3', ' 1', '18446744073709551616']) {
      expect(
        codeOf(() => checkHandle(handle)),
        JSON.stringify(handle),
      ).toBe('INVALID_ARGUMENT');
    }
    expect(checkHandle('0')).toBe('0');
    expect(checkHandle('18446744073709551615')).toBe('18446744073709551615');
  });

  it('the protocol schema for handles accepts exactly the canonical ones', () => {
    for (const handle of [...ESCAPES, '01', '007', '+1', '0x10', '1'.repeat(21)]) {
      expect(Value.Check(HandleSchema, handle), JSON.stringify(handle)).toBe(false);
    }
    for (const handle of ['0', '7', '18446744073709551615']) expect(Value.Check(HandleSchema, handle)).toBe(true);
  });

  it('any accepted handle, as a file name, stays directly inside the data directory', () => {
    const directory = resolve('/data/chunks');
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9./%]{1,24}$/), fc.constantFrom(...ESCAPES)), (name) => {
        if (!isValidHandle(name)) return;
        expect(resolve(join(directory, name))).toBe(`${directory}/${name}`);
      }),
    );
  });

  it('a read URL naming a path instead of a handle is refused before any file is opened', () => {
    for (const handle of ['..%2F..%2Fetc%2Fpasswd', '%2e%2e', '..', '1%00', '%2Fetc%2Fpasswd']) {
      const url = `/chunk/${handle}?version=1&offset=0&length=1`;
      expect(
        codeOf(() => parseReadUrl(url, 1024 * 1024)),
        url,
      ).toBe('INVALID_ARGUMENT');
    }
    // The URL parser resolves dot segments: what is left is no read path at all.
    expect(codeOf(() => parseReadUrl('/chunk/1/../../etc/passwd?version=1&offset=0&length=1', 1024))).toBe(
      'INVALID_ARGUMENT',
    );
  });

  it('a push data id outside its alphabet is refused', () => {
    for (const id of ['..%2F..%2Fx', '%2e%2e%2e%2e%2e%2e%2e%2e', 'aaaaaaaa%00', 'inline.1', `${'a'.repeat(65)}`]) {
      expect(
        codeOf(() => parsePushUrl(`/push/${id}`)),
        id,
      ).toBe('INVALID_ARGUMENT');
    }
    expect(parsePushUrl('/push/abcdEFGH_-12').dataId).toBe('abcdEFGH_-12');
  });
});

describe('peer addresses', () => {
  it('are host:port in a small alphabet: nothing that could make http://<address> another URL', () => {
    for (const address of ['127.0.0.1:7071', '[fd00::2]:7071', 'gfs_cs1.example:7071']) {
      expect(Value.Check(AddressSchema, address), address).toBe(true);
    }
    for (const address of ['a b:1', 'x@evil:1', 'http://a:1', 'a/b:1', 'a:1?x', 'a:1#', 'ab', '', 'a\0:1']) {
      expect(Value.Check(AddressSchema, address), JSON.stringify(address)).toBe(false);
    }
  });
});

describe('gateway URLs', () => {
  it('refuses dot segments in every encoding, NUL, encoded slashes and overlong names', () => {
    for (const raw of [
      '/..',
      '/a/../..',
      '/%2e%2e/etc',
      '/%2E%2e',
      '/a/%2e',
      '/..%2fetc',
      '/%2f..%2f..',
      '/%00',
      '/a%00b',
      `/${'n'.repeat(NAME_BYTES_MAX + 1)}`,
      `/${'a/'.repeat(PATH_BYTES_MAX / 2 + 1)}`,
    ]) {
      expect(
        codeOf(() => clusterPathOf(raw)),
        raw.slice(0, 40),
      ).toBe('INVALID_PATH');
    }
  });

  it('keeps an absolute-looking or double-encoded name a name inside the cluster namespace', () => {
    expect(clusterPathOf('//etc/passwd')).toBe('/etc/passwd');
    expect(clusterPathOf('/%252e%252e')).toBe('/%2e%2e');
  });

  it('any path it accepts is normalised: absolute, no dot segment, no NUL', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string(), fc.constantFrom('..', '.', '%2e%2e', '%2e', '%00', '%2f', '')), {
          maxLength: 6,
        }),
        (segments) => {
          let path: string;
          try {
            path = clusterPathOf(`/${segments.join('/')}`);
          } catch (error) {
            expect(error).toBeInstanceOf(GfsError);
            return;
          }
          expect(normalizePath(path)).toBe(path);
          expect(path.includes('\0')).toBe(false);
          expect(path.split('/').some((name) => name === '..' || name === '.')).toBe(false);
        },
      ),
    );
  });
});
