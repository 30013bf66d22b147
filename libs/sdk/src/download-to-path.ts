import { randomBytes } from 'node:crypto';
import { link, lstat, open, rename, unlink, type FileHandle } from 'node:fs/promises';
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
  /**
   * Replace a file at `destination`. False: fail with AlreadyExists if one is
   * there, also one that appeared while the download ran (another download, a
   * file written during a long tree download), and leave it as it is.
   */
  overwrite: boolean;
}

// link() fails with these where the file system has no hard links (FAT, some network mounts).
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Fetches `file` into the local path `destination`: chunks in parallel
 * (as many as `concurrency` and the client's free read slots allow), each written at its offset into `<destination>.dfs-partial-<random>` as
 * its verified bytes arrive. The whole-file SHA-256 is computed in file
 * order by reading back each stretch of the partial file once every chunk
 * before it is complete, so it checks what is on the local disk. Only when
 * it matches is the file fsynced and renamed over `destination`, or without
 * `overwrite` linked to it (which fails if something is there by then), and
 * the directory fsynced; on any failure the partial file is removed.
 */
export async function downloadToPath(ctx: ClientContext, file: FileInfo, destination: string, options: DownloadToPathOptions): Promise<void> {
  const target = resolve(destination);
  const partial = `${target}.dfs-partial-${randomBytes(6).toString('hex')}`;
  // Early, to fetch nothing in vain; placeNew() below decides, atomically.
  if (!options.overwrite && (await lstat(target).catch(() => undefined))) throw alreadyExists(target);
  const fh = await open(partial, 'wx+').catch((err: unknown) => {
    throw localFileError(err, `cannot create ${partial} next to ${basename(target)}`);
  });
  let placed = false;
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
    if (options.overwrite) {
      await rename(partial, target).catch((err: unknown) => {
        throw localFileError(err, `cannot rename ${partial} to ${target}`);
      });
    } else {
      await placeNew(partial, target);
    }
    placed = true;
    await syncDirectory(dirname(target));
  } finally {
    started?.close();
    if (!placed) {
      await fh.close().catch(() => undefined);
      await unlink(partial).catch(() => undefined);
    }
  }
}

/**
 * Puts `partial` at `target` unless a file is there, without the window a
 * check followed by rename() would leave: rename() replaces whatever appeared
 * since the check, link() fails with EEXIST instead. `partial` is gone after.
 */
async function placeNew(partial: string, target: string): Promise<void> {
  try {
    await link(partial, target);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'EEXIST') throw alreadyExists(target, err);
    if (typeof code !== 'string' || !NO_HARD_LINKS.has(code)) throw localFileError(err, `cannot link ${partial} to ${target}`);
    // No hard links here: claim the name with an exclusive create (atomic
    // too), then rename over the claim. A crash in between leaves it empty.
    const claim = await open(target, 'wx').catch((error: unknown) => {
      throw (error as { code?: unknown }).code === 'EEXIST' ? alreadyExists(target, error) : localFileError(error, `cannot create ${target}`);
    });
    await claim.close();
    await rename(partial, target).catch((error: unknown) => {
      throw localFileError(error, `cannot rename ${partial} to ${target}`);
    });
    return;
  }
  // The file is in place under both names. Failing to drop the temporary one
  // must not fail a download that landed; it is best effort.
  await unlink(partial).catch(() => undefined);
}

function alreadyExists(target: string, cause?: unknown): WireError {
  return new WireError(Code.AlreadyExists, `${target} exists: pass overwrite to replace it`, { cause });
}

async function writeAll(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < bytes.length; ) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

/** Makes the rename (or link and unlink) durable (POSIX); best effort where directories cannot be opened. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close();
  }
}
