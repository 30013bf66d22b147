import { opendir } from 'node:fs/promises';
import { join } from 'node:path';
import { isChunkId } from '@dfs/proto';
import { CHUNK_FILE_SUFFIX, type ChunkPaths } from './chunk-paths.js';
import type { ChunkStoreLogger } from './chunk-store.js';
import { isNotFound } from './store-errors.js';

/** A file found under chunks/. */
export interface ChunkFileEntry {
  path: string;
  /** File name, kept when the file is moved to quarantine. */
  name: string;
  /** The chunk the name claims, if it names one. */
  chunkId?: string;
  /** Set when the file is where no chunk belongs (it must never be served). */
  problem?: string;
}

const PREFIX = /^[0-9a-f]{2}$/;

/**
 * Walks chunks/<xx>/<yy>/ one directory entry at a time (opendir, never a
 * whole-directory array), yielding every file. Files that are not named
 * <id>.chunk under the prefix directories of their id come with a `problem`.
 * Unexpected directories are logged and skipped: nothing in them is served.
 */
export async function* walkChunkFiles(paths: ChunkPaths, logger: ChunkStoreLogger): AsyncGenerator<ChunkFileEntry> {
  for await (const outer of entries(paths.chunks)) {
    const outerPath = join(paths.chunks, outer.name);
    if (!outer.isDirectory()) {
      yield stray(outerPath, outer.name, 'not inside a prefix directory');
      continue;
    }
    if (!PREFIX.test(outer.name)) {
      logger.warn({ path: outerPath }, 'skipping an unexpected directory in the chunk store');
      continue;
    }
    for await (const inner of entries(outerPath)) {
      const innerPath = join(outerPath, inner.name);
      if (!inner.isDirectory()) {
        yield stray(innerPath, inner.name, 'not inside a prefix directory');
        continue;
      }
      if (!PREFIX.test(inner.name)) {
        logger.warn({ path: innerPath }, 'skipping an unexpected directory in the chunk store');
        continue;
      }
      for await (const file of entries(innerPath)) {
        const path = join(innerPath, file.name);
        if (file.isDirectory()) {
          logger.warn({ path }, 'skipping an unexpected directory in the chunk store');
          continue;
        }
        const chunkId = chunkIdOfFileName(file.name);
        if (!chunkId) {
          yield { path, name: file.name, problem: 'not a chunk file name' };
        } else if (!file.isFile()) {
          yield { path, name: file.name, chunkId, problem: 'not a regular file' };
        } else if (chunkId.slice(0, 2) !== outer.name || chunkId.slice(2, 4) !== inner.name) {
          yield { path, name: file.name, chunkId, problem: `misplaced: found under ${outer.name}/${inner.name}` };
        } else {
          yield { path, name: file.name, chunkId };
        }
      }
    }
  }
}

/** The id a file name claims ("<id>.chunk"), if any. */
export function chunkIdOfFileName(name: string): string | undefined {
  if (!name.endsWith(CHUNK_FILE_SUFFIX)) return undefined;
  const id = name.slice(0, -CHUNK_FILE_SUFFIX.length);
  return isChunkId(id) ? id : undefined;
}

function stray(path: string, name: string, problem: string): ChunkFileEntry {
  const chunkId = chunkIdOfFileName(name);
  return chunkId ? { path, name, chunkId, problem } : { path, name, problem };
}

/** Entries of a directory as they are read; none if it vanished meanwhile. */
async function* entries(dir: string) {
  let handle;
  try {
    handle = await opendir(dir, { bufferSize: 64 });
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  // for-await closes the handle when the loop ends, also on break or throw.
  yield* handle;
}
