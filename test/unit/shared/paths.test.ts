import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ancestorsOf, baseName, normalizePath, parentPath, parseClusterPath } from '../../../shared/paths.js';
import { codeOf } from '../../harness/error-code.js';

describe('normalizePath', () => {
  it('collapses repeated and trailing slashes', () => {
    expect(normalizePath('//a///b/')).toBe('/a/b');
    expect(normalizePath('/')).toBe('/');
    expect(normalizePath('///')).toBe('/');
  });

  it('refuses relative paths, dot components, NUL and overlong names', () => {
    expect(codeOf(() => normalizePath('a/b'))).toBe('INVALID_PATH');
    expect(codeOf(() => normalizePath('/a/../b'))).toBe('INVALID_PATH');
    expect(codeOf(() => normalizePath('/a/./b'))).toBe('INVALID_PATH');
    expect(codeOf(() => normalizePath('/a\0b'))).toBe('INVALID_PATH');
    expect(codeOf(() => normalizePath(`/${'x'.repeat(256)}`))).toBe('INVALID_PATH');
    expect(codeOf(() => normalizePath(`/${'abcdefg/'.repeat(600)}`))).toBe('INVALID_PATH');
  });

  it('is idempotent and its output has no empty components', () => {
    const name = fc.stringMatching(/^[a-z0-9._-]{1,8}$/).filter((n) => n !== '.' && n !== '..');
    fc.assert(
      fc.property(fc.array(fc.tuple(name, fc.integer({ min: 1, max: 3 })), { maxLength: 6 }), (parts) => {
        const raw = parts.map(([n, slashes]) => `${'/'.repeat(slashes)}${n}`).join('') || '/';
        const once = normalizePath(raw);
        expect(normalizePath(once)).toBe(once);
        expect(once === '/' || !once.split('/').slice(1).includes('')).toBe(true);
      }),
    );
  });
});

describe('path helpers', () => {
  it('finds parents, base names and ancestors', () => {
    expect(parentPath('/a/b/c')).toBe('/a/b');
    expect(parentPath('/a')).toBe('/');
    expect(baseName('/a/b')).toBe('b');
    expect(ancestorsOf('/a/b/c')).toEqual(['/a', '/a/b']);
  });
});

describe('parseClusterPath', () => {
  it('tells cluster paths from local ones', () => {
    expect(parseClusterPath('./local')).toBeUndefined();
    expect(parseClusterPath('/tmp/x')).toBeUndefined();
    expect(parseClusterPath('gfs:/a//b/')).toEqual({ master: undefined, path: '/a/b' });
    expect(parseClusterPath('gfs://10.0.0.1:7070/x')).toEqual({ master: 'http://10.0.0.1:7070', path: '/x' });
    expect(parseClusterPath('gfs://h:1')).toEqual({ master: 'http://h:1', path: '/' });
    expect(codeOf(() => parseClusterPath('gfs:/a/../b'))).toBe('INVALID_PATH');
  });
});
