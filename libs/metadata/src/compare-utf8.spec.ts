import { compareUtf8 } from './compare-utf8.js';

describe('compareUtf8', () => {
  it('orders like the UTF-8 bytes, including astral characters and U+E000..U+FFFF', () => {
    const words = ['', 'a', 'ab', 'a/b', 'a0', 'Z', 'é', '日本', '\uE000', '\uFFFD', '😀', '😀a', '𝄞', 'a\u{10FFFF}', 'a\uFFFF'];
    const bytes = [...words].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect([...words].sort(compareUtf8)).toEqual(bytes);
    for (const x of words) for (const y of words) {
      expect(Math.sign(compareUtf8(x, y))).toBe(Buffer.compare(Buffer.from(x), Buffer.from(y)));
    }
  });
});
