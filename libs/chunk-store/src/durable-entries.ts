import { mkdir, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ChunkPaths } from './chunk-paths.js';
import { DirSyncer } from './dir-syncer.js';
import { isNotFound } from './store-errors.js';

/**
 * The directory side of a store's changes: puts chunk files in place
 * (making the prefix directories on the way) and makes renames, unlinks and
 * new directories durable with directory fsyncs, shared between concurrent
 * changes of one directory. A file's own fsync does not cover its entry:
 * without these, a crash could undo an acknowledged write or delete.
 */
export class DurableEntries {
  /**
   * Prefix directories whose entry in their parent is fsynced (see
   * makeChunkDirs). Nothing removes them while the store is open, so these
   * are also known to exist: no mkdir is tried for them.
   */
  private readonly durableDirs = new Set<string>();
  private readonly dirSyncer = new DirSyncer();

  constructor(private readonly paths: ChunkPaths) {}

  /** Resolves once a change made in `dir` before this call is durable. */
  sync(dir: string): Promise<void> {
    return this.dirSyncer.sync(dir);
  }

  /**
   * Renames the temp file to `path` (replacing what is there), making the
   * prefix directories first where needed; returns the directories whose
   * entry in their parent is not known durable yet. A prefix directory that
   * vanished although it was known (removed by hand) is made again, once.
   */
  async renameIntoPlace(chunkId: string, tempPath: string, path: string): Promise<string[]> {
    const dirs = this.paths.chunkDirs(chunkId);
    const trusted = dirs.some((dir) => this.durableDirs.has(dir));
    const attempt = async (): Promise<string[]> => {
      const created = await this.makeChunkDirs(chunkId);
      await rename(tempPath, path);
      return created;
    };
    try {
      return await attempt();
    } catch (err) {
      // ENOENT from mkdir or rename: a directory we took for granted is gone.
      if (!isNotFound(err) || !trusted) throw err;
      for (const dir of dirs) this.durableDirs.delete(dir);
      return attempt();
    }
  }

  /**
   * Makes `path`'s entry durable, and the entries of `dirs` (prefix
   * directories on its way) not yet known durable: independent fsyncs, run together.
   */
  async makeEntryDurable(path: string, dirs: readonly string[]): Promise<void> {
    await Promise.all([this.dirSyncer.sync(dirname(path)), ...dirs.map((dir) => this.makeDirDurable(dir))]);
  }

  /**
   * Creates the chunk's prefix directories as needed; returns those whose
   * entry in their parent is not known durable yet, outermost first. A
   * directory another writer just made (EEXIST) counts too: that writer may
   * not have fsynced its parent yet, and our ack must not depend on it.
   */
  private async makeChunkDirs(chunkId: string): Promise<string[]> {
    const pending: string[] = [];
    for (const dir of this.paths.chunkDirs(chunkId)) {
      if (this.durableDirs.has(dir)) continue;
      try {
        await mkdir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      pending.push(dir);
    }
    return pending;
  }

  /** fsyncs the parent of `dir` (shared with concurrent callers): then its entry survives a crash. */
  private async makeDirDurable(dir: string): Promise<void> {
    if (this.durableDirs.has(dir)) return;
    await this.dirSyncer.sync(dirname(dir));
    this.durableDirs.add(dir);
  }
}
