import { ancestorsOf, isBelow, movedPath, subtreeEnd, subtreeStart } from './path-keys.js';

describe('path keys', () => {
  it('bounds a subtree so that string-prefix siblings fall outside it', () => {
    expect([subtreeStart('/a'), subtreeEnd('/a')]).toEqual(['/a/', '/a0']);
    expect([subtreeStart('/'), subtreeEnd('/')]).toEqual(['/', undefined]);
    for (const sibling of ['/a-1', '/a.txt', '/ab/x', '/a0']) {
      const inside = sibling >= subtreeStart('/a') && sibling < subtreeEnd('/a')!;
      expect([sibling, inside]).toEqual([sibling, false]);
    }
    expect('/a/\u{10FFFF}' < subtreeEnd('/a')!).toBe(true);
  });

  it('tells what lies below a directory', () => {
    expect(isBelow('/a/b', '/a')).toBe(true);
    expect(isBelow('/a', '/a')).toBe(false);
    expect(isBelow('/ab', '/a')).toBe(false);
    expect(isBelow('/x', '/')).toBe(true);
    expect(isBelow('/', '/')).toBe(false);
  });

  it('lists ancestors without the root and moves paths between trees', () => {
    expect(ancestorsOf('/a/b/c')).toEqual(['/a', '/a/b']);
    expect(ancestorsOf('/a')).toEqual([]);
    expect(movedPath('/src/b/c', '/src', '/dst/x')).toBe('/dst/x/b/c');
    expect(movedPath('/src', '/src', '/dst')).toBe('/dst');
  });
});
