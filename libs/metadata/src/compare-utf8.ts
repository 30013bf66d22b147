/**
 * Compares two strings in the byte order of their UTF-8 encodings (which is
 * code point order) without encoding them. JavaScript's `<` compares UTF-16
 * code units, which puts U+10000 and above (surrogate pairs) before
 * U+E000..U+FFFF; etcd and SQLite compare bytes, and every store must agree.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
}

/** Moves surrogates (D800..DFFF) above E000..FFFF, keeping order inside each range. */
function rank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit <= 0xdfff ? unit + 0x2000 : unit - 0x800;
}
