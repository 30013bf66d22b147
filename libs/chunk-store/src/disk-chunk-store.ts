import { lstat, open, rename, statfs, unlink, type FileHandle } from 'node:fs/promises';
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
import { DurableEntries } from './durable-entries.js';
import { pathExists, readChunkFileHeader } from './file-io.js';
import { mapBounded } from './map-bounded.js';
import { notifyCorrupt } from './scan-chunk-store.js';
import { assertChunkId, canceledError, corruptChunkError, isNotFound, notStoredError, shuttingDownError, toStoreError } from './store-errors.js';
import { walkChunkFiles } from './walk-chunk-files.js';

/** Options with defaults applied; capacity stays unset when it is to come from statfs. */
export type ResolvedChunkStoreOptions = Omit<ChunkStoreOptions, 'capacityBytes'> & { capacityBytes?: number };

/** Header reads in flight while list() walks the store. */
const LIST_CONCURRENCY = 8;

/**
 * The chunk store on a local disk (see chunk-paths.ts for the layout and
 * chunk-header.ts for the file format). Built by createChunkStore after the
 * startup scan. Operations that change what is stored (install, delete,
 * quarantine, condemn) take a per-chunk lock, so e.g. two commits of one chunk cannot
 * both find it absent and overwrite each other.
 */
export class DiskChunkStore implements ChunkStore, ChunkWriterHost, ChunkReaderHost {
  /** Prefix directories, renames into place and directory fsyncs. */
  private readonly entries: DurableEntries;
  /**
   * Chunks reported damaged whose file could not be moved to quarantine
   * (the rename failed too: a failing disk). They count as quarantined: not
   * served, listed, counted or reported again, until deleted, quarantined
   * after all, or replaced by a verified copy. Kept in memory only: after a
   * restart, reads and the scrubber find the damage again.
   */
  private readonly condemned = new Set<string>();
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
    this.entries = new DurableEntries(paths);
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
    if (this.condemned.has(chunkId)) throw notStoredError(chunkId);
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
      // Out of service already (and not counted): not "there", but its file goes.
      const wasCondemned = this.condemned.has(chunkId);
      try {
        const { size } = await lstat(path);
        await unlink(path);
        if (!this.condemned.delete(chunkId)) this.forget(size);
        await this.entries.sync(dirname(path));
        return !wasCondemned;
      } catch (err) {
        if (isNotFound(err)) {
          this.condemned.delete(chunkId);
          return false;
        }
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
      if (!entry.problem && entry.chunkId && !this.condemned.has(entry.chunkId)) yield entry.chunkId;
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

  async condemn(chunkId: string, reason: string): Promise<boolean> {
    this.assertOpen();
    assertChunkId(chunkId);
    const taken = await this.withChunkLock(chunkId, () => this.takeOutOfService(chunkId, reason));
    if (taken) notifyCorrupt(this.options, chunkId, reason);
    return taken;
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
      // A condemned copy is known bad (and its header may not even read): it
      // goes to quarantine if it can now, else the verified copy replaces it.
      const existing = this.condemned.has(chunkId) ? undefined : await this.readHeaderLocked(chunkId);
      if (existing !== undefined && typeof existing !== 'string') {
        if (existing.size !== info.size || !bytesEqual(existing.sha256, info.sha256)) {
          await unlink(tempPath);
          throw new DfsError(
            Code.AlreadyExists,
            `chunk ${chunkId} is already stored with different content (${existing.size} bytes): chunk ids are never reused; delete it first or use a new id`,
          );
        }
        // The same chunk again (a copy retried, re-replication onto a node
        // that kept a copy). Only the stored header was checked, and its data
        // may have rotted since its last scrub: the copy just verified and
        // fsynced replaces it, so "durable" below is about bytes known good.
        // Atomic: a reader sees the old file or the new one, and one that
        // has the old open keeps reading it (its inode); the old file's
        // damage, if any, is then not reported (reportCorrupt finds another
        // inode at the path), and needs not be. Same size: counters stay.
        await rename(tempPath, path);
        // The rename, or one of a process that died before its directory
        // fsync, is durable only once the directories are: fsynced before the
        // ack. On failure the chunk stays (it was there before): no unlink.
        await this.entries.makeEntryDurable(path, this.paths.chunkDirs(chunkId));
        return info;
      }
      // A damaged copy is in the way: the verified one replaces it.
      if (typeof existing === 'string') await this.quarantineLocked(chunkId, existing, true);
      if (this.condemned.has(chunkId)) {
        await this.quarantineLocked(chunkId, 'condemned earlier').catch((err: unknown) => {
          this.logger.warn({ err, chunkId }, 'could not quarantine a condemned chunk; the verified copy replaces it');
        });
      }
      const created = await this.entries.renameIntoPlace(chunkId, tempPath, path);
      // Whatever was condemned under this name is gone now (and was not counted).
      this.condemned.delete(chunkId);
      try {
        // The rename is durable only once its directory is, and a directory
        // made on the way only once its parent is. Every one of these fsyncs
        // ends before the ack; they are independent, so they run together.
        await this.entries.makeEntryDurable(path, created);
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
    let taken = false;
    try {
      taken = await this.withChunkLock(chunkId, async () => {
        // Only if the path still holds the file we found damaged: it may have
        // been deleted and written anew since the reader opened it.
        const [ours, current] = await Promise.all([fh.stat(), lstat(this.paths.chunkFile(chunkId)).catch(() => undefined)]);
        if (!current || current.ino !== ours.ino || current.dev !== ours.dev) return false;
        return this.takeOutOfService(chunkId, detail);
      });
    } catch (err) {
      // fstat failed: which file is at the path is unknown. The chunk stays;
      // the next read or scrub of it finds the damage again.
      this.logger.error({ err, chunkId, reason: detail }, 'could not check a corrupt chunk before quarantining it');
    }
    if (taken) notifyCorrupt(this.options, chunkId, detail);
  }

  // --- internals ---

  /** The chunk's header, what is wrong with it (it was quarantined), or undefined if absent. */
  private async readHeader(chunkId: string): Promise<ChunkInfo | string | undefined> {
    if (this.condemned.has(chunkId)) return undefined;
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
    // A condemned chunk was forgotten when it was condemned.
    if (!this.condemned.delete(chunkId)) this.forget(size);
    try {
      await Promise.all([this.entries.sync(dirname(path)), this.entries.sync(this.paths.quarantine)]);
    } catch (err) {
      // The file is out of service and must still be reported. Should a crash
      // undo the move, the next read or scrub finds the damage again.
      this.logger.error({ err, chunkId }, 'could not make the quarantine of a chunk durable');
    }
    this.logger.warn({ chunkId, reason }, 'quarantined a chunk');
    if (notify) notifyCorrupt(this.options, chunkId, reason);
    return true;
  }

  /**
   * Takes a damaged chunk out of service, under its lock: moved to
   * quarantine, or, when that fails too, condemned where it lies. True if
   * it was in service (and is to be reported), false if absent or condemned already.
   */
  private async takeOutOfService(chunkId: string, reason: string): Promise<boolean> {
    if (this.condemned.has(chunkId)) return false;
    try {
      return await this.quarantineLocked(chunkId, reason);
    } catch (err) {
      // The bytes cannot be trusted whether or not the file moved: stop
      // serving and counting it, and report it all the same, so the
      // coordinator makes a good copy elsewhere.
      const size = await lstat(this.paths.chunkFile(chunkId)).then((s) => s.size, () => 0);
      this.condemned.add(chunkId);
      this.forget(size);
      this.logger.error({ err, chunkId, reason }, 'could not quarantine a damaged chunk; it is out of service and reported');
      return true;
    }
  }

  /** A chunk file of `size` bytes on disk left the store. */
  private forget(size: number): void {
    this.usedBytes = Math.max(0, this.usedBytes - size);
    this.chunkCount = Math.max(0, this.chunkCount - 1);
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
