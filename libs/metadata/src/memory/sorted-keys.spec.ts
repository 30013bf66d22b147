import { compareUtf8 } from '../compare-utf8.js';
import { SortedKeys } from './sorted-keys.js';

describe('SortedKeys', () => {
  it('keeps any insertion and deletion order sorted across many block splits', () => {
    const keys = new SortedKeys();
    const model = new Set<string>();
    let seed = 42;
    const rnd = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    for (let i = 0; i < 20_000; i++) {
      const k = `/k/${(rnd() % 5000).toString(36)}${i % 97 === 0 ? '😀' : ''}`;
      if (rnd() % 4 === 0) expect(keys.delete(k)).toBe(model.delete(k));
      else expect(keys.insert(k)).toBe(!model.has(k) && !!model.add(k));
    }
    const want = [...model].sort(compareUtf8);
    expect(keys.size).toBe(want.length);
    expect([...keys.range('', undefined)]).toEqual(want);
    const mid = want[Math.floor(want.length / 2)]!;
    expect(keys.seek(mid, true)).toBe(mid);
    expect(keys.seek(mid, false)).toBe(want[Math.floor(want.length / 2) + 1]);
    expect([...keys.range('/k/1', '/k/2')]).toEqual(want.filter((k) => compareUtf8(k, '/k/1') >= 0 && compareUtf8(k, '/k/2') < 0));
    expect(keys.seek('/l', true)).toBeUndefined();
  });

  it('handles an empty set', () => {
    const keys = new SortedKeys();
    expect(keys.seek('', true)).toBeUndefined();
    expect(keys.delete('x')).toBe(false);
    expect([...keys.range('', undefined)]).toEqual([]);
  });
});
