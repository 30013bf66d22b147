import { Code } from '@connectrpc/connect';
import { ancestorsOf, baseName, isSameOrBelow, normalizePath, parentPath, validatePath } from './index.js';

describe('validatePath', () => {
  it.each(['/', '/a', '/a/b.txt', '/données/日本語/😀', '/a b/c\td', `/${'x'.repeat(255)}`])('accepts %j', (p) => {
    expect(validatePath(p)).toBe(p);
  });

  it.each([
    ['relative', 'a/b', /not absolute/],
    ['empty', '', /not absolute/],
    ['trailing slash', '/a/', /ends with "\/"/],
    ['double slash', '/a//b', /empty component/],
    ['dot', '/a/./b', /"\." component/],
    ['dot-dot', '/a/../b', /"\.\." component/],
    ['NUL', '/a\0b', /NUL/],
    ['lone surrogate', '/a\uD800b', /not valid UTF-8/],
    ['long component', `/${'x'.repeat(256)}`, /component of 256 bytes; the limit is 255/],
    ['multi-byte long component', `/${'é'.repeat(128)}`, /component of 256 bytes/],
    ['long path', `/${Array.from({ length: 20 }, () => 'y'.repeat(250)).join('/')}`, /the limit is 4096/],
  ])('rejects a %s path with InvalidArgument naming the rule', (_name, p, rule) => {
    expect(() => validatePath(p)).toThrow(rule);
    try {
      validatePath(p);
    } catch (err) {
      expect(err).toMatchObject({ code: Code.InvalidArgument, reason: 'BAD_PATH' });
    }
  });

  it('rejects non-strings', () => {
    expect(() => validatePath(42)).toThrow(/must be a string/);
  });
});

describe('normalizePath', () => {
  it('drops repeated and trailing slashes, and still refuses dot components', () => {
    expect(normalizePath('//a///b/')).toBe('/a/b');
    expect(normalizePath('/')).toBe('/');
    expect(normalizePath('///')).toBe('/');
    expect(() => normalizePath('/a/../b')).toThrow(/"\.\." component/);
    expect(() => normalizePath('a')).toThrow(/not absolute/);
  });
});

describe('path helpers', () => {
  it('splits and compares component-wise', () => {
    expect(parentPath('/a/b/c')).toBe('/a/b');
    expect(parentPath('/a')).toBe('/');
    expect(parentPath('/')).toBe('/');
    expect(baseName('/a/b.txt')).toBe('b.txt');
    expect(isSameOrBelow('/a/b', '/a')).toBe(true);
    expect(isSameOrBelow('/a', '/a')).toBe(true);
    expect(isSameOrBelow('/ab/x', '/a')).toBe(false);
    expect(isSameOrBelow('/anything', '/')).toBe(true);
    expect(ancestorsOf('/a/b/c')).toEqual(['/a', '/a/b']);
    expect(ancestorsOf('/a')).toEqual([]);
  });
});
