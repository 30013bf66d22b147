import type { FileHandle } from 'node:fs/promises';
import { Code, DfsError as WireError } from '@dfs/proto';

/**
 * `size` bytes of an open file from `start`, in fresh buffers of at most
 * `frameSize` (the consumer may hold several in flight, so none is reused).
 * Positional reads: any number of ranges of one handle can be read at once.
 */
export async function* readFileRange(fh: FileHandle, start: number, size: number, frameSize: number, signal: AbortSignal, what: string): AsyncGenerator<Uint8Array> {
  let pos = start;
  const end = start + size;
  while (pos < end) {
    signal.throwIfAborted();
    const want = Math.min(frameSize, end - pos);
    const buffer = Buffer.allocUnsafe(want);
    let filled = 0;
    while (filled < want) {
      const { bytesRead } = await fh.read(buffer, filled, want - filled, pos + filled);
      if (bytesRead === 0) {
        throw new WireError(Code.FailedPrecondition, `${what} ended at byte ${pos + filled}, before ${end}: it changed while it was being uploaded; upload it again`, {
          reason: 'SOURCE_CHANGED',
        });
      }
      filled += bytesRead;
    }
    pos += want;
    yield buffer;
  }
}
