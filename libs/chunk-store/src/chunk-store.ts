// The contract of a chunk store: what the datanode (and the scrubber) may
// rely on. The only implementation keeps chunks as files on a local disk
// (see create-chunk-store.ts); the types live apart so callers and test
// doubles can depend on them without pulling in the disk code.

/** Minimal logger; a pino logger fits as is. */
export interface ChunkStoreLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ChunkStoreOptions {
  /**
   * Capacity to report, in bytes. Free space is then the smaller of what is
   * left of it and what the filesystem has free.
   * Default: the size of the filesystem that holds the store (statfs).
   */
  capacityBytes: number;
  /**
   * Called when a chunk is found damaged, on the scan at open or on a read,
   * after it was moved to quarantine (or condemned where it lies, when the
   * move failed), or condemned; the datanode reports it so the coordinator
   * re-replicates it. Exceptions it throws are logged and ignored.
   * Default: does nothing.
   */
  onCorrupt: (chunkId: string, reason: string) => void;
  /** Where the store logs what it quarantines and removes. Default: silent. */
  logger: ChunkStoreLogger;
}

/** What the header of a stored chunk says about it. */
export interface ChunkInfo {
  chunkId: string;
  /** Data bytes (without header and block-digest trailer). */
  size: number;
  /** The chunk checksum: SHA-256 over the SHA-256 of each 64 KiB block. */
  sha256: Uint8Array;
  /** When the chunk was committed on this node. */
  createdAt: Date;
  /** The upload that wrote it; '' when the writer named none. */
  uploadId: string;
  /** Version of the on-disk format the chunk is stored in. */
  formatVersion: number;
}

export interface StoreUsage {
  /** Configured capacity, or the filesystem's size. */
  capacityBytes: number;
  /** Bytes on disk of the stored chunks (headers and trailers included). */
  usedBytes: number;
  /** Bytes that can still be written: min(capacity - used, filesystem free). */
  freeBytes: number;
  chunkCount: number;
}

/** What opening the store found and fixed. */
export interface StartupReport {
  /** Good chunks found and served. */
  chunks: number;
  /** Files moved to quarantine because they were damaged or misplaced. */
  quarantined: number;
  /** Leftover temp files of writes that never committed, removed. */
  tempFilesRemoved: number;
}

export interface ChunkWriterInit {
  chunkId: string;
  /** Declared size, 1 B..64 MiB; when given, writes past it and commits of another size fail. */
  size?: number;
  /** Expected chunk checksum (32 bytes); may instead (or also) be given at commit. */
  sha256?: Uint8Array;
  /** Recorded in the header for the operator and GC; at most 64 bytes of UTF-8. */
  uploadId?: string;
}

export interface ChunkStore {
  /** Absolute path of the store's directory. */
  readonly dir: string;
  readonly startupReport: StartupReport;
  /**
   * Starts writing a chunk to a temp file; nothing is visible until commit.
   * Aborting the signal aborts the writer (its temp file is removed).
   */
  createWriter(init: ChunkWriterInit, options?: { signal?: AbortSignal }): Promise<ChunkWriter>;
  /** Opens a chunk for range reads; NotFound if absent, DataLoss if damaged. */
  openReader(chunkId: string, options?: { signal?: AbortSignal }): Promise<ChunkReader>;
  /** The chunk's header, or undefined if absent; DataLoss if the header is damaged. */
  stat(chunkId: string): Promise<ChunkInfo | undefined>;
  /** True if a chunk with an intact header is stored. */
  has(chunkId: string): Promise<boolean>;
  /** Removes a chunk durably; false if it was not there. */
  delete(chunkId: string): Promise<boolean>;
  /** Every stored chunk, read from disk as the walk goes (never one giant array). */
  list(options?: { signal?: AbortSignal }): AsyncIterable<ChunkInfo>;
  /**
   * The ids of the chunk files as the walk finds them, without opening any:
   * for the scrubber, which opens each itself and must get past one it
   * cannot read. A chunk yielded may be gone by the time it is opened.
   */
  chunkIds(options?: { signal?: AbortSignal }): AsyncIterable<string>;
  usage(): Promise<StoreUsage>;
  /** Moves a chunk out of service into quarantine/ (kept for post-mortems); no-op if absent. */
  quarantine(chunkId: string, reason: string): Promise<void>;
  /**
   * Takes a chunk whose bytes cannot be trusted (e.g. unreadable round after
   * round) out of service and tells onCorrupt, so the coordinator makes a
   * good copy elsewhere: moved to quarantine, or, if even that fails, left
   * where it is but no longer served, listed or counted (until deleted or
   * written anew). Whatever file is at the chunk's path now is taken.
   * False if there was none, or it was already out of service.
   */
  condemn(chunkId: string, reason: string): Promise<boolean>;
  /** Aborts open writers, closes open readers; later calls fail with Unavailable SHUTTING_DOWN. */
  close(): Promise<void>;
}

export interface ChunkWriter {
  readonly chunkId: string;
  readonly bytesWritten: number;
  /**
   * Appends bytes (calls are applied in order). Going past the declared size
   * or 64 MiB fails with InvalidArgument CHUNK_TOO_LARGE and aborts the writer.
   */
  write(data: Uint8Array): Promise<void>;
  /**
   * Verifies size and checksum, then makes the chunk durable and visible.
   * At least one expected checksum (at create or here) is required. If the
   * chunk already exists with the same size and checksum, the verified copy
   * replaces the stored one (whose data may have rotted unnoticed); with
   * different content, fails with AlreadyExists. Any failure
   * removes the temp file.
   */
  commit(final?: { size?: number; sha256?: Uint8Array }): Promise<ChunkInfo>;
  /** Removes the temp file; idempotent. */
  abort(): Promise<void>;
}

export interface ReadRange {
  offset: number;
  /** 0 means to the end of the chunk. */
  length: number;
  /** Largest piece yielded, 1 B..4 MiB; default 1 MiB. */
  frameSize?: number;
  signal?: AbortSignal;
}

export interface ChunkReader {
  readonly info: ChunkInfo;
  /** Stored digests of blocks [first, first+count). */
  blockDigests(first: number, count: number): Promise<Uint8Array[]>;
  /**
   * Yields exactly the bytes of the range, in pieces of at most frameSize.
   * Every 64 KiB block touched is read whole and verified before any of its
   * bytes are yielded; a damaged block quarantines the chunk and fails with
   * DataLoss CORRUPT_CHUNK.
   */
  read(range: ReadRange): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}
