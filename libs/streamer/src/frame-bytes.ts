import { MAX_FRAME_SIZE, MIN_FRAME_SIZE } from '@dfs/proto';

/**
 * Re-slices a byte stream of any piece sizes into frames of exactly
 * `frameSize` bytes (the last may be shorter). Pieces that already line up
 * pass through as views without copying; only the tail of a short piece is
 * copied, into a buffer of one frame. Memory: one frame at most.
 */
export async function* frameBytes(source: AsyncIterable<Uint8Array>, frameSize: number): AsyncGenerator<Uint8Array> {
  assertFrameSize(frameSize);
  let pending: Uint8Array | undefined;
  let filled = 0;
  for await (const piece of source) {
    let pos = 0;
    while (pos < piece.length) {
      if (filled === 0 && piece.length - pos >= frameSize) {
        yield piece.subarray(pos, pos + frameSize);
        pos += frameSize;
        continue;
      }
      pending ??= new Uint8Array(frameSize);
      const take = Math.min(frameSize - filled, piece.length - pos);
      pending.set(piece.subarray(pos, pos + take), filled);
      filled += take;
      pos += take;
      if (filled === frameSize) {
        yield pending;
        // The consumer may still hold the yielded frame: never reuse it.
        pending = undefined;
        filled = 0;
      }
    }
  }
  if (filled > 0 && pending) yield pending.subarray(0, filled);
}

export function assertFrameSize(frameSize: number): void {
  if (!Number.isInteger(frameSize) || frameSize < MIN_FRAME_SIZE || frameSize > MAX_FRAME_SIZE) {
    throw new RangeError(`frame size must be an integer from ${MIN_FRAME_SIZE} to ${MAX_FRAME_SIZE} bytes, got ${frameSize}`);
  }
}
