import { lstat, open, opendir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { chunkFileLength } from './chunk-header.js';
import type { ChunkPaths } from './chunk-paths.js';
import type { ChunkInfo, ChunkStoreLogger, StartupReport } from './chunk-store.js';
import { fsyncDir, readChunkFileHeader } from './file-io.js';
import { mapBounded } from './map-bounded.js';
import { isNotFound } from './store-errors.js';
import { walkChunkFiles, type ChunkFileEntry } from './walk-chunk-files.js';

export interface ScanResult {
  report: StartupReport;
  /** Bytes on disk of the good chunks. */
  usedBytes: number;
}

export interface ScanHooks {
  logger: ChunkStoreLogger;
  onCorrupt: (chunkId: string, reason: string) => void;
}

/** A chunk kept (with its bytes on disk), one moved to quarantine, or a file that vanished. */
type Verdict = { bytes: number } | 'quarantined' | undefined;

/** Header reads in flight during the scan: enough to keep a disk queue busy, few enough for 2 cores. */
const SCAN_CONCURRENCY = 16;

/**
 * What a store does before it serves anything: removes the temp files of
 * writes that never committed, then reads the header of every chunk file
 * (only the header and the file length, never the data: that is the
 * scrubber's job) and moves every file that cannot be served as what its
 * name says into quarantine.
 */
export async function scanChunkStore(paths: ChunkPaths, hooks: ScanHooks): Promise<ScanResult> {
  const { logger } = hooks;
  const tempFilesRemoved = await removeTempFiles(paths, logger);
  let chunks = 0;
  let quarantined = 0;
  let usedBytes = 0;
  const check = async (entry: ChunkFileEntry): Promise<Verdict> => {
    let verdict: ChunkInfo | string | undefined;
    try {
      verdict = entry.problem ?? (await checkChunkFile(entry.path, entry.chunkId!));
    } catch (err) {
      return keepUnchecked(entry, err, logger);
    }
    if (verdict === undefined || typeof verdict !== 'string') return verdict && { bytes: chunkFileLength(verdict.size) };
    // Renames here need no directory fsync: if one is lost in a crash, the
    // file is found and quarantined again at the next open.
    try {
      await rename(entry.path, paths.quarantineFile(entry.name));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      logger.error({ err, path: entry.path }, 'could not quarantine a damaged chunk file; it will not be served');
      return undefined;
    }
    logger.warn({ path: entry.path, chunkId: entry.chunkId, reason: verdict }, 'quarantined a damaged chunk file');
    if (entry.chunkId) notifyCorrupt(hooks, entry.chunkId, verdict);
    return 'quarantined';
  };
  for await (const verdict of mapBounded(walkChunkFiles(paths, logger), SCAN_CONCURRENCY, check)) {
    if (verdict === 'quarantined') {
      quarantined++;
    } else if (verdict) {
      chunks++;
      usedBytes += verdict.bytes;
    }
  }
  if (quarantined > 0) await fsyncDir(paths.quarantine);
  return { report: { chunks, quarantined, tempFilesRemoved }, usedBytes };
}

/** Calls onCorrupt, which must not be able to break the caller. */
export function notifyCorrupt(hooks: ScanHooks, chunkId: string, reason: string): void {
  try {
    hooks.onCorrupt(chunkId, reason);
  } catch (err) {
    hooks.logger.error({ err, chunkId }, 'onCorrupt threw; ignored');
  }
}

/**
 * The header of a chunk file, what is wrong with it, or undefined if it
 * vanished. Throws I/O errors: they say nothing about the file's content.
 */
async function checkChunkFile(path: string, chunkId: string): Promise<ChunkInfo | string | undefined> {
  let fh;
  try {
    fh = await open(path, 'r');
    return await readChunkFileHeader(fh, chunkId);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/**
 * A chunk file the scan could not read (EMFILE, EIO …) stays where it is:
 * only a proven mismatch quarantines, and every read verifies what it
 * serves. It is counted as stored with its length on disk.
 */
async function keepUnchecked(entry: ChunkFileEntry, err: unknown, logger: ChunkStoreLogger): Promise<Verdict> {
  logger.error({ err, path: entry.path }, 'could not check a chunk file at startup; left in place, reads verify it');
  const size = await lstat(entry.path).then((s) => s.size, () => undefined);
  return size === undefined ? undefined : { bytes: size };
}

/** Removes everything in tmp/: no writer survives a restart. */
async function removeTempFiles(paths: ChunkPaths, logger: ChunkStoreLogger): Promise<number> {
  let removed = 0;
  for await (const entry of await opendir(paths.tmp, { bufferSize: 64 })) {
    const path = join(paths.tmp, entry.name);
    await rm(path, { recursive: true, force: true });
    logger.info({ path }, 'removed a leftover temp file');
    removed++;
  }
  return removed;
}
