import { lstat, mkdir, open, rename, statfs, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Code, DfsError, bytesEqual } from '@dfs/proto';
import { CHUNK_FILE_SUFFIX, type ChunkPaths } from './chunk-paths.js';
import { chunkFileLength } from './chunk-header.js';
import { ChunkFileReader, type ChunkReaderHost } from './chunk-file-reader.js';
import { ChunkFileWriter, type ChunkWriterHost } from './chunk-file-writer.js';
import type {
  ChunkInfo,
  ChunkReader,
  ChunkStore,
  ChunkStoreOptions,
  ChunkWriter,
  ChunkWriterInit,
  StartupReport,
  StoreUsage,
} from './chunk-store.js';
import { DirSyncer } from './dir-syncer.js';
import { pathExists, readChunkFileHeader } from './file-io.js';
import { mapBounded } from './map-bounded.js';
import { notifyCorrupt } from './scan-chunk-store.js';
import { assertChunkId, canceledError, corruptChunkError, isNotFound, shuttingDownError, toStoreError } from './store-errors.js';
import { walkChunkFiles } from './walk-chunk-files.js';

/** Options with defaults applied; capacity stays unset when it is to come from statfs. */
export type ResolvedChunkStoreOptions = Omit<ChunkStoreOptions, 'capacityBytes'> & { capacityBytes?: number };

/** Header reads in flight while list() walks the store. */
const LIST_CONCURRENCY = 8;

/**
 * The chunk store on a local disk (see chunk-paths.ts for the layout and
 * chunk-header.ts for the file format). Built by createChunkStore after the
 * startup scan. Operations that change what is stored (install, delete,
 * quarantine) take a per-chunk lock, so e.g. two commits of one chunk cannot
 * both find it absent and overwrite each other.
 */
export class DiskChunkStore implements ChunkStore, ChunkWriterHost, ChunkReaderHost {
  /**
   * Prefix directories whose entry in their parent is fsynced (see
   * makeChunkDirs). Nothing removes them while the store is open, so these
   * are also known to exist: no mkdir is tried for them.
   */
  private readonly durableDirs = new Set<string>();
  /** Directory fsyncs, shared by concurrent changes of one directory. */
  private readonly dirSyncer = new DirSyncer();
  readonly dir: string;
  readonly logger: ChunkStoreOptions['logger'];
  private usedBytes: number;
  private chunkCount: number;
  private closed = false;
  private readonly writers = new Set<ChunkFileWriter>();
  /** Writers not yet committed or aborted (diagnostics and tests). */
  get openWriters(): number {
    return this.writers.size;
  }
  private readonly readers = new Set<ChunkFileReader>();
  private readonly locks = new Map<string, Promise<void>>();

  constructor(
    readonly paths: ChunkPaths,
    private readonly options: ResolvedChunkStoreOptions,
    readonly startupReport: StartupReport,
    usedBytes: number,
  ) {
    this.dir = paths.root;
    this.logger = options.logger;
    this.usedBytes = usedBytes;
    this.chunkCount = startupReport.chunks;
  }

  async createWriter(init: ChunkWriterInit, options: { signal?: AbortSignal } = {}): Promise<ChunkWriter> {
    this.assertOpen();
    assertChunkId(init?.chunkId);
    const writer = await ChunkFileWriter.create(this, init, options.signal);
    if (this.closed) {
      // close() ran while the temp file was being created and could not see this writer.
      await writer.abortWith(shuttingDownError(this.dir));
      throw shuttingDownError(this.dir);
    }
    // Not when its signal fired while the temp file was being opened: the
    // writer has cleaned up (or will) and reported done, and would stay in the set.
    if (writer.isOpen) this.writers.add(writer);
    return writer;
  }

  async openReader(chunkId: string, options: { signal?: AbortSignal } = {}): Promise<ChunkReader> {
    this.assertOpen();
    assertChunkId(chunkId);
    const reader = await ChunkFileReader.open(this, chunkId, options.signal);
    if (this.closed) {
      await reader.close();
      throw shuttingDownError(this.dir);
    }
    this.readers.add(reader);
    return reader;
  }

  async stat(chunkId: string): Promise<ChunkInfo | undefined> {
    this.assertOpen();
    assertChunkId(chunkId);
    const info = await this.readHeader(chunkId);
    if (info === undefined || typeof info !== 'string') return info;
    throw corruptChunkError(chunkId, info);
  }

  async has(chunkId: string): Promise<boolean> {
    this.assertOpen();
    assertChunkId(chunkId);
    const info = await this.readHeader(chunkId);
    return info !== undefined && typeof info !== 'string';
  }

  async delete(chunkId: string): Promise<boolean> {
    this.assertOpen();
    assertChunkId(chunkId);
    const path = this.paths.chunkFile(chunkId);
    return this.withChunkLock(chunkId, async () => {
      try {
        const { size } = await lstat(path);
        await unlink(path);
        this.forget(size);
        await this.dirSyncer.sync(dirname(path));
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw toStoreError(err, `deleting chunk ${chunkId}`);
      }
    });
  }

  async *list(options: { signal?: AbortSignal } = {}): AsyncGenerator<ChunkInfo> {
    this.assertOpen();
    const { signal } = options;
    const headers = mapBounded(walkChunkFiles(this.paths, this.logger), LIST_CONCURRENCY, async (entry) => {
      // Strays are the startup scan's business; a live store only lists chunks.
      if (entry.problem || !entry.chunkId) return undefined;
      const info = await this.readHeader(entry.chunkId);
      return typeof info === 'string' ? undefined : info;
    });
    for await (const info of headers) {
      this.assertOpen();
      if (signal?.aborted) throw canceledError('listing chunks');
      if (info) yield info;
    }
  }

  async *chunkIds(options: { signal?: AbortSignal } = {}): AsyncGenerator<string> {
    this.assertOpen();
    for await (const entry of walkChunkFiles(this.paths, this.logger)) {
      this.assertOpen();
      if (options.signal?.aborted) throw canceledError('listing chunk ids');
      if (!entry.problem && entry.chunkId) yield entry.chunkId;
    }
  }

  async usage(): Promise<StoreUsage> {
    this.assertOpen();
    let fs;
    try {
      fs = await statfs(this.dir);
    } catch (err) {
      throw toStoreError(err, `reading the free space of ${this.dir}`);
    }
    const fsFree = fs.bavail * fs.bsize;
    const capacityBytes = this.options.capacityBytes ?? fs.blocks * fs.bsize;
    const freeBytes = Math.max(0, Math.min(capacityBytes - this.usedBytes, fsFree));
    return { capacityBytes, usedBytes: this.usedBytes, freeBytes, chunkCount: this.chunkCount };
  }

  async quarantine(chunkId: string, reason: string): Promise<void> {
    this.assertOpen();
    assertChunkId(chunkId);
    await this.withChunkLock(chunkId, () => this.quarantineLocked(chunkId, reason));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const reason = shuttingDownError(this.dir);
    await Promise.all([...this.writers].map((w) => w.abortWith(reason)));
    await Promise.all([...this.readers].map((r) => r.close()));
  }

  // --- host side of writers and readers ---

  assertOpen(): void {
    if (this.closed) throw shuttingDownError(this.dir);
  }

  async install(tempPath: string, info: ChunkInfo): Promise<ChunkInfo> {
    const { chunkId } = info;
    const path = this.paths.chunkFile(chunkId);
    return this.withChunkLock(chunkId, async () => {
      const existing = await this.readHeaderLocked(chunkId);
      if (existing !== undefined && typeof existing !== 'string') {
        await unlink(tempPath);
        if (existing.size === info.size && bytesEqual(existing.sha256, info.sha256)) {
          // Its rename may be from a process that died before the directory
          // fsync (a copy retried after a crash): make the entry durable
          // before this answer says it is.
          await this.makeEntryDurable(path, this.paths.chunkDirs(chunkId));
          return existing;
        }
        throw new DfsError(
          Code.AlreadyExists,
          `chunk ${chunkId} is already stored with different content (${existing.size} bytes): chunk ids are never reused; delete it first or use a new id`,
        );
      }
      // A damaged copy is in the way: the verified one replaces it.
      if (typeof existing === 'string') await this.quarantineLocked(chunkId, existing, true);
      const created = await this.renameIntoPlace(chunkId, tempPath, path);
      try {
        // The rename is durable only once its directory is, and a directory
        // made on the way only once its parent is. Every one of these fsyncs
        // ends before the ack; they are independent, so they run together.
        await this.makeEntryDurable(path, created);
      } catch (err) {
        // Not durable: take it back rather than ack a chunk a crash may lose.
        await unlink(path).catch(() => undefined);
        throw err;
      }
      this.usedBytes += chunkFileLength(info.size);
      this.chunkCount++;
      return info;
    });
  }

  writerDone(writer: ChunkFileWriter): void {
    this.writers.delete(writer);
  }

  readerDone(reader: ChunkFileReader): void {
    this.readers.delete(reader);
  }

  async reportCorrupt(chunkId: string, detail: string, fh: FileHandle): Promise<void> {
    try {
      const moved = await this.withChunkLock(chunkId, async () => {
        // Only if the path still holds the file we found damaged: it may have
        // been deleted and written anew since the reader opened it.
        const [ours, current] = await Promise.all([fh.stat(), lstat(this.paths.chunkFile(chunkId)).catch(() => undefined)]);
        if (!current || current.ino !== ours.ino || current.dev !== ours.dev) return false;
        return this.quarantineLocked(chunkId, detail);
      });
      if (moved) notifyCorrupt(this.options, chunkId, detail);
    } catch (err) {
      this.logger.error({ err, chunkId, reason: detail }, 'could not quarantine a corrupt chunk');
    }
  }

  // --- internals ---

  /** The chunk's header, what is wrong with it (it was quarantined), or undefined if absent. */
  private async readHeader(chunkId: string): Promise<ChunkInfo | string | undefined> {
    let fh: FileHandle;
    try {
      fh = await open(this.paths.chunkFile(chunkId), 'r');
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw toStoreError(err, `opening chunk ${chunkId}`);
    }
    try {
      const info = await readChunkFileHeader(fh, chunkId).catch((err: unknown) => {
        throw toStoreError(err, `reading chunk ${chunkId}`);
      });
      if (typeof info === 'string') await this.reportCorrupt(chunkId, info, fh);
      return info;
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  /** readHeader for callers that hold the chunk's lock: quarantine is left to them. */
  private async readHeaderLocked(chunkId: string): Promise<ChunkInfo | string | undefined> {
    // Installs nearly always find nothing: ask that first, cheaply.
    if (!(await pathExists(this.paths.chunkFile(chunkId)))) return undefined;
    let fh: FileHandle;
    try {
      fh = await open(this.paths.chunkFile(chunkId), 'r');
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    try {
      return await readChunkFileHeader(fh, chunkId);
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  /** Moves the chunk's file to quarantine/ durably; false if it was not there. */
  private async quarantineLocked(chunkId: string, reason: string, notify = false): Promise<boolean> {
    const path = this.paths.chunkFile(chunkId);
    let size: number;
    try {
      size = (await lstat(path)).size;
      await rename(path, this.paths.quarantineFile(chunkId + CHUNK_FILE_SUFFIX));
    } catch (err) {
      if (isNotFound(err)) return false;
      throw toStoreError(err, `quarantining chunk ${chunkId}`);
    }
    this.forget(size);
    try {
      await Promise.all([this.dirSyncer.sync(dirname(path)), this.dirSyncer.sync(this.paths.quarantine)]);
    } catch (err) {
      // The file is out of service and must still be reported. Should a crash
      // undo the move, the next read or scrub finds the damage again.
      this.logger.error({ err, chunkId }, 'could not make the quarantine of a chunk durable');
    }
    this.logger.warn({ chunkId, reason }, 'quarantined a chunk');
    if (notify) notifyCorrupt(this.options, chunkId, reason);
    return true;
  }

  /** A chunk file of `size` bytes on disk left the store. */
  private forget(size: number): void {
    this.usedBytes = Math.max(0, this.usedBytes - size);
    this.chunkCount = Math.max(0, this.chunkCount - 1);
  }

  /**
   * Renames the temp file to `path`, making the prefix directories first
   * where needed; returns the directories whose entry in their parent is not
   * known durable yet. A prefix directory that vanished although it was
   * known (removed by hand) is made again, once.
   */
  private async renameIntoPlace(chunkId: string, tempPath: string, path: string): Promise<string[]> {
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

  /**
   * Makes `path`'s entry durable, and the entries of `dirs` (prefix
   * directories on its way) not yet known durable: independent fsyncs, run together.
   */
  private async makeEntryDurable(path: string, dirs: readonly string[]): Promise<void> {
    await Promise.all([this.dirSyncer.sync(dirname(path)), ...dirs.map((dir) => this.makeDirDurable(dir))]);
  }

  /** fsyncs the parent of `dir` (shared with concurrent callers): then its entry survives a crash. */
  private async makeDirDurable(dir: string): Promise<void> {
    if (this.durableDirs.has(dir)) return;
    await this.dirSyncer.sync(dirname(dir));
    this.durableDirs.add(dir);
  }

  /** Runs `fn` after every earlier holder of the chunk's lock has finished. */
  private async withChunkLock<T>(chunkId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(chunkId) ?? Promise.resolve();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const mine = previous.then(() => gate);
    this.locks.set(chunkId, mine);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.locks.get(chunkId) === mine) this.locks.delete(chunkId);
    }
  }
}
