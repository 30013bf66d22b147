import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { Code, DfsError as WireError } from '@dfs/proto';
import { chunkLocations } from './chunk-locations.js';
import type { ClientContext } from './client-context.js';
import type { FileInfo } from './file-info.js';
import { forEachConcurrently } from './for-each-concurrently.js';
import { localFileError } from './local-file-error.js';
import { readChunkRange } from './read-chunk-range.js';
import { ReadBackHasher } from './read-back-hasher.js';

export interface DownloadToPathOptions {
  concurrency: number;
  signal: AbortSignal;
  /** Bytes written so far, chunks completed so far. */
  onProgress?: (loaded: number, chunks: number) => void;
}

/**
 * Fetches `file` into the local path `destination`: chunks in parallel
 * (as many as `concurrency` and the client's free read slots allow), each written at its offset into `<destination>.dfs-partial-<random>` as
 * its verified bytes arrive. The whole-file SHA-256 is computed in file
 * order by reading back each stretch of the partial file once every chunk
 * before it is complete, so it checks what is on the local disk. Only when
 * it matches is the file fsynced and renamed over `destination` (and the
 * directory fsynced); on any failure the partial file is removed.
 */
export async function downloadToPath(ctx: ClientContext, file: FileInfo, destination: string, options: DownloadToPathOptions): Promise<void> {
  const target = resolve(destination);
  const partial = `${target}.dfs-partial-${randomBytes(6).toString('hex')}`;
  const fh = await open(partial, 'wx+').catch((err: unknown) => {
    throw localFileError(err, `cannot create ${partial} next to ${basename(target)}`);
  });
  let renamed = false;
  // Closed in the finally below, also when the file cannot be sized.
  let started: ReadBackHasher | undefined;
  try {
    // The client's hash thread (large files) opens the partial file on its first range.
    const hasher = (started = new ReadBackHasher(fh, partial, file.size, ctx.hashThread));
    await fh.truncate(file.size);
    let loaded = 0;
    let chunks = 0;
    const failedNodes = new Set<string>();
    await forEachConcurrently(
      chunkLocations(ctx, file, 0, options.signal),
      // More tasks than read slots would only wait, holding locations that may go stale.
      Math.min(options.concurrency, ctx.chunkReads.fit(file.chunkSize)),
      async (chunk, signal) => {
        await ctx.chunkReads.acquire(Number(chunk.size), signal);
        try {
          let pos = Number(chunk.offset);
          for await (const piece of readChunkRange(ctx, file, chunk, 0, Number(chunk.size), signal, failedNodes)) {
            await writeAll(fh, piece, pos);
            pos += piece.length;
            loaded += piece.length;
            options.onProgress?.(loaded, chunks);
          }
        } finally {
          ctx.chunkReads.release(Number(chunk.size));
        }
        await hasher.complete(chunk);
        options.onProgress?.(loaded, ++chunks);
      },
      options.signal,
    );
    const sha256 = await hasher.digest(file.chunkCount);
    if (loaded !== file.size || sha256 !== file.sha256) {
      throw new WireError(Code.DataLoss, `${file.path}: the downloaded ${loaded} bytes have SHA-256 ${sha256}, but the file has ${file.size} bytes with ${file.sha256}`, {
        reason: 'CHECKSUM_MISMATCH',
      });
    }
    await fh.sync();
    await fh.close();
    await rename(partial, target).catch((err: unknown) => {
      throw localFileError(err, `cannot rename ${partial} to ${target}`);
    });
    renamed = true;
    await syncDirectory(dirname(target));
  } finally {
    started?.close();
    if (!renamed) {
      await fh.close().catch(() => undefined);
      await unlink(partial).catch(() => undefined);
    }
  }
}

async function writeAll(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < bytes.length; ) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

/** Makes the rename durable (POSIX); best effort where directories cannot be opened. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close();
  }
}
