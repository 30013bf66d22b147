import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Code, DfsError } from '@dfs/proto';
import { ChunkPaths } from './chunk-paths.js';
import type { ChunkStore, ChunkStoreLogger, ChunkStoreOptions } from './chunk-store.js';
import { DiskChunkStore, type ResolvedChunkStoreOptions } from './disk-chunk-store.js';
import { fsyncDir } from './file-io.js';
import { scanChunkStore } from './scan-chunk-store.js';
import { toStoreError } from './store-errors.js';

const silentLogger: ChunkStoreLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Opens (creating if needed) the chunk store in `dir`. Before it returns, it
 * removes the temp files of writes a crash interrupted and checks the header
 * of every chunk file, quarantining the damaged and the misplaced, so nothing
 * it serves is known bad; `startupReport` says what it found.
 */
export async function createChunkStore(dir: string, options: Partial<ChunkStoreOptions> = {}): Promise<ChunkStore> {
  const resolved: ResolvedChunkStoreOptions = {
    capacityBytes: options.capacityBytes,
    onCorrupt: options.onCorrupt ?? (() => undefined),
    logger: options.logger ?? silentLogger,
  };
  const { capacityBytes } = resolved;
  if (capacityBytes !== undefined && (!Number.isSafeInteger(capacityBytes) || capacityBytes <= 0)) {
    throw new DfsError(Code.InvalidArgument, `chunk store capacityBytes must be a positive whole number of bytes, got ${capacityBytes}`, {
      reason: 'CONFIG',
    });
  }
  if (typeof dir !== 'string' || dir === '') {
    throw new DfsError(Code.InvalidArgument, 'the chunk store needs a directory: set the data directory of the datanode', { reason: 'CONFIG' });
  }
  const paths = new ChunkPaths(resolve(dir));
  try {
    // On a first start the data directory itself (and maybe directories above
    // it) is new: each new entry is durable once its parent is fsynced.
    const first = await mkdir(paths.root, { recursive: true });
    if (first !== undefined) {
      for (let d = paths.root; ; d = dirname(d)) {
        await fsyncDir(dirname(d));
        if (d === first) break;
      }
    }
    for (const d of [paths.chunks, paths.tmp, paths.quarantine]) await mkdir(d, { recursive: true });
    await fsyncDir(paths.root);
    const { report, usedBytes } = await scanChunkStore(paths, resolved);
    resolved.logger.info({ dir: paths.root, ...report, usedBytes }, 'chunk store opened');
    return new DiskChunkStore(paths, resolved, report, usedBytes);
  } catch (err) {
    throw toStoreError(err, `opening chunk store ${paths.root}`);
  }
}
