import { createHash } from 'node:crypto';
import { Code, DfsError as WireError, type ChunkLocation } from '@dfs/proto';
import { AsyncQueue } from '@dfs/streamer';
import { chunkLocations } from './chunk-locations.js';
import type { ClientContext } from './client-context.js';
import type { FileInfo } from './file-info.js';
import { readChunkRange } from './read-chunk-range.js';

/**
 * Verified pieces a prefetched chunk may hold: readChunkStream hands them out
 * a frame at a time (the node's 1 MiB, or less), so 4 MiB.
 */
const PREFETCH_PIECES = 4;

export interface ReadFileBytesOptions {
  /** Chunks fetched at once: the one being read and the ones after it. */
  readAhead: number;
  signal: AbortSignal;
  /** Called after each chunk's last byte was yielded. */
  onChunk?: (chunk: ChunkLocation) => void;
}

/**
 * Bytes `start` (inclusive) to `end` (exclusive) of one version of a file,
 * in order, each verified (readChunkRange). The next `readAhead - 1` chunks
 * are fetched while the current one is consumed, each into a small bounded
 * queue, so memory stays at a few MiB per chunk in flight whatever the chunk
 * size. When the whole file is read, its SHA-256 is checked before the end
 * is signalled: a reader never sees a clean end of a file that does not
 * match its checksum.
 */
export async function* readFileBytes(ctx: ClientContext, file: FileInfo, start: number, end: number, options: ReadFileBytesOptions): AsyncGenerator<Uint8Array> {
  if (start >= end) return;
  const controller = new AbortController();
  const signal = AbortSignal.any([options.signal, controller.signal]);
  const what = file.path;
  const whole = start === 0 && end === file.size ? createHash('sha256') : undefined;
  const locations = chunkLocations(ctx, file, Math.floor(start / file.chunkSize), signal)[Symbol.asyncIterator]();
  const ahead: Array<{ chunk: ChunkLocation; pieces: AsyncQueue<Uint8Array> }> = [];
  const failedNodes = new Set<string>();
  let listed = false;
  let pos = start;

  const prefetch = (chunk: ChunkLocation) => {
    const from = Math.max(start, Number(chunk.offset));
    const to = Math.min(end, Number(chunk.offset) + Number(chunk.size));
    const pieces = new AsyncQueue<Uint8Array>(PREFETCH_PIECES);
    void (async () => {
      try {
        for await (const piece of readChunkRange(ctx, file, chunk, from - Number(chunk.offset), to - from, signal, failedNodes)) {
          if (!(await pieces.push(piece))) return;
        }
        pieces.close();
      } catch (err) {
        pieces.fail(err);
      }
    })();
    ahead.push({ chunk, pieces });
  };

  try {
    for (;;) {
      while (!listed && ahead.length < options.readAhead) {
        const next = await locations.next();
        if (next.done || Number(next.value.offset) >= end) listed = true;
        else prefetch(next.value);
      }
      const current = ahead.shift();
      if (!current) break;
      for await (const piece of current.pieces) {
        whole?.update(piece);
        pos += piece.length;
        yield piece;
      }
      options.onChunk?.(current.chunk);
    }
    if (pos !== end) {
      throw new WireError(Code.DataLoss, `${what}: its chunk list ends at byte ${pos}, before byte ${end}; the file's metadata is damaged`);
    }
    if (whole) {
      const got = whole.digest('hex');
      if (got !== file.sha256) {
        throw new WireError(Code.DataLoss, `${what}: the bytes read have SHA-256 ${got} but the file's is ${file.sha256}; every chunk verified, so its metadata is damaged`, {
          reason: 'CHECKSUM_MISMATCH',
        });
      }
    }
  } finally {
    // Stops the prefetches (their streams end, their queues refuse more).
    controller.abort();
    for (const a of ahead) a.pieces.fail(new WireError(Code.Canceled, 'read ended'));
    void locations.return(undefined).catch(() => undefined);
  }
}
