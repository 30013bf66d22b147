import { compareUtf8 } from '../compare-utf8.js';

/** Blocks split when they grow past this; small enough that a splice is cheap. */
const MAX_BLOCK = 1024;

/**
 * A sorted set of strings in UTF-8 byte order, as a list of sorted blocks:
 * insert and delete cost O(√n)-ish splices instead of shifting one big array,
 * so 100,000+ paths inserted in any order stay fast, and `seek` finds the
 * first key at or after a position in O(log n) (a range scan's start).
 */
export class SortedKeys {
  private blocks: string[][] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds `key`; false when it was already there. */
  insert(key: string): boolean {
    if (this.blocks.length === 0) {
      this.blocks.push([key]);
      this.count++;
      return true;
    }
    // The first block whose last key is >= key, or the last block.
    const b = Math.min(this.blockFor(key, true), this.blocks.length - 1);
    const block = this.blocks[b]!;
    const i = lowerBound(block, key, true);
    if (i < block.length && block[i] === key) return false;
    block.splice(i, 0, key);
    this.count++;
    if (block.length > MAX_BLOCK) this.blocks.splice(b, 1, block.slice(0, MAX_BLOCK / 2), block.slice(MAX_BLOCK / 2));
    return true;
  }

  /** Removes `key`; false when it was not there. */
  delete(key: string): boolean {
    const b = this.blockFor(key, true);
    const block = this.blocks[b];
    if (!block) return false;
    const i = lowerBound(block, key, true);
    if (block[i] !== key) return false;
    block.splice(i, 1);
    this.count--;
    if (block.length === 0) this.blocks.splice(b, 1);
    return true;
  }

  /** The first key >= `from` (> `from` when not inclusive), or undefined. */
  seek(from: string, inclusive: boolean): string | undefined {
    const block = this.blocks[this.blockFor(from, inclusive)];
    return block?.[lowerBound(block, from, inclusive)];
  }

  /** Keys from `from` (inclusive) up to `end` (exclusive; no bound when undefined), in order. */
  *range(from: string, end: string | undefined): Generator<string> {
    let key = this.seek(from, true);
    while (key !== undefined && (end === undefined || compareUtf8(key, end) < 0)) {
      yield key;
      key = this.seek(key, false);
    }
  }

  /** Index of the first block holding a key >= (or >) `key`; blocks.length when none. */
  private blockFor(key: string, inclusive: boolean): number {
    let lo = 0;
    let hi = this.blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const last = this.blocks[mid]![this.blocks[mid]!.length - 1]!;
      const c = compareUtf8(last, key);
      if (c > 0 || (inclusive && c === 0)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** Index of the first element >= (or >) `key` in a sorted array. */
function lowerBound(arr: string[], key: string, inclusive: boolean): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareUtf8(arr[mid]!, key);
    if (c > 0 || (inclusive && c === 0)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
