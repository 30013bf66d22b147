import type { Readable } from 'node:stream';
import type { ClusterStatus, FileInfo, FsckReport, NodeInfo } from './file-info.js';

/** Options of {@link createDfsClient}. */
export interface DfsClientOptions {
  /**
   * Coordinator addresses: `"host:port"` (or `http://host:port`), a list of
   * them, or one comma-separated string. Calls go to one of them and fail
   * over to the next when it is unreachable. Required.
   */
  coordinators: string | string[];
  /** Deadline of each coordinator call (one attempt), in ms. Default: 30 000. */
  callTimeoutMs?: number;
  /**
   * Longest a chunk transfer may stall (no acknowledgement while writing, no
   * data while reading) before it is abandoned and retried elsewhere, in ms.
   * Default: 30 000.
   */
  idleTimeoutMs?: number;
  /**
   * Chunk writes in flight across all uploads of this client at once, 1 to
   * 64; an upload runs at most this many and waits for free ones. Each chunk
   * write holds HTTP/2 windows and frames, so this bounds the client's
   * memory however many uploads run in parallel. A chunk smaller than 8 MiB
   * counts as its share by size in 1 MiB frames (a 64 KiB one as 1/8 of a
   * write): small files, bound by round trips and fsyncs, run 8 times as
   * many at once. Default: 8.
   */
  maxChunkWrites?: number;
  /**
   * Chunks fetched at once across all downloads to a local path, 1 to 64;
   * a download runs at most this many and waits for free ones. As
   * maxChunkWrites (small chunks too), for many downloads at once. (Streams and downloads to a
   * Writable fetch as far ahead as their reader lets them, `concurrency`
   * chunks at most, and are not counted: a reader that waits for another
   * read must not wait for its slots too.) Default: 4.
   */
  maxChunkReads?: number;
  /**
   * HTTP/2 receive window of each chunk stream, in bytes, 64 KiB to 64 MiB.
   * A stream moves at most one window per round trip, and a download holds
   * up to one per chunk fetched: 2 MiB is ample within a datacenter; a client
   * tens of ms away from the cluster downloads faster with more (8 MiB at
   * 50 ms: ~170 MB/s per stream). Default: 2 MiB.
   */
  streamWindow?: number;
}

/** What {@link DfsClient.upload} reads: a local file path, bytes, or a stream of bytes of any length. */
export type UploadSource = string | Uint8Array | NodeJS.ReadableStream | AsyncIterable<Uint8Array>;

/** Progress of an upload. */
export interface UploadProgress {
  /** Bytes stored durably so far (acknowledged by the datanodes). */
  loaded: number;
  /** Size of the source when known in advance (a file or bytes); undefined for streams. */
  total?: number;
  /** Chunks stored so far. */
  chunks: number;
}

/** Options of {@link DfsClient.upload}. */
export interface UploadOptions {
  /** Chunk size in bytes, 1 KiB to 64 MiB. Default: the coordinator's (8 MiB unless configured). */
  chunkSize?: number;
  /** Copies of each chunk. Default: the coordinator's (3 unless configured). */
  replication?: number;
  /** Chunks written in parallel, 1 to 64, at most the client's `maxChunkWrites` (raise that too for more). Default: 4. */
  concurrency?: number;
  /** Replace an existing file atomically at commit. Default: false (AlreadyExists). */
  overwrite?: boolean;
  /**
   * Aborts the upload: nothing becomes visible, and it rejects with code
   * Canceled. Once every chunk is stored and the commit has been sent, an
   * abort is too late: the upload completes and resolves (a commit cut short
   * could still land, leaving a file behind a rejected upload). Default: none.
   */
  signal?: AbortSignal;
  /** Called as chunks are acknowledged. Default: none. */
  onProgress?: (progress: UploadProgress) => void;
}

/** Progress of a download. */
export interface DownloadProgress {
  /** Bytes received and verified so far. */
  loaded: number;
  /** Size of the file. */
  total: number;
  /** Chunks completed so far. */
  chunks: number;
}

/** Options of {@link DfsClient.download}. */
export interface DownloadOptions {
  /** Chunks fetched in parallel, 1 to 64; to a local path at most the client's `maxChunkReads` (raise that too for more). Default: 4. */
  concurrency?: number;
  /** Aborts the download: a local file is not created, and it rejects with code Canceled. Default: none. */
  signal?: AbortSignal;
  /** Called as bytes arrive. Default: none. */
  onProgress?: (progress: DownloadProgress) => void;
  /**
   * To a local path: replace a file there. `false` rejects with AlreadyExists
   * when the path exists, also when it appeared during the download (the
   * file is kept; nothing else is left behind). Default: true.
   */
  overwrite?: boolean;
}

/** Options of {@link DfsClient.createReadStream}. */
export interface ReadStreamOptions {
  /** First byte to read. Default: 0. */
  start?: number;
  /** Last byte to read, inclusive (as in `fs.createReadStream`). Default: the end of the file. */
  end?: number;
  /** Destroys the stream with a Canceled error. Default: none. */
  signal?: AbortSignal;
}

/** Options of {@link DfsClient.list}. */
export interface ListOptions {
  /** List every file below the path instead of its direct entries. Default: false. */
  recursive?: boolean;
  /** Entries fetched per coordinator call, 1 to 10 000. Default: 1000. */
  pageSize?: number;
}

/**
 * A connection to a DFS cluster. Every method validates its arguments,
 * honours its `signal`, and rejects with a {@link DfsError}. Create it with
 * {@link createDfsClient}; call {@link DfsClient.close} when done.
 */
export interface DfsClient {
  /**
   * Stores `source` at `remotePath` and resolves once the file is committed
   * (visible to every reader at once, or not at all). A local file is read
   * chunk by chunk, never whole; a stream of unknown length is cut into
   * chunks as it arrives, each spooled to a temp file (under `os.tmpdir()`)
   * so a failed chunk can be written again elsewhere. Chunks whose datanodes
   * fail are re-placed on other nodes and retried.
   * @throws DfsError AlreadyExists (without `overwrite`), NotFound (local file), InvalidArgument, Canceled, Unavailable...
   */
  upload(remotePath: string, source: UploadSource, options?: UploadOptions): Promise<FileInfo>;
  /**
   * Fetches a file. To a local path: chunks are fetched in parallel into
   * `<destination>.dfs-partial-<random>`, which is fsynced and renamed over
   * `destination` only when every byte and the whole-file SHA-256 checked
   * out (with `overwrite: false`, linked to it only if nothing is there). To a Writable: bytes are written in order with back-pressure (the
   * stream is ended afterwards, except process.stdout/stderr). A replica that
   * fails or returns bad bytes is replaced by the next one.
   * @throws DfsError NotFound, AlreadyExists (a local file there, with `overwrite: false`), FailedPrecondition (a directory; the file replaced, moved or deleted meanwhile), DataLoss (no replica has good bytes), Canceled...
   */
  download(remotePath: string, destination: string | NodeJS.WritableStream, options?: DownloadOptions): Promise<FileInfo>;
  /**
   * A byte stream of a file or a range of it, fetched chunk by chunk as it is
   * read (back-pressured), every block verified, failing over between
   * replicas. A range past the end of the file is empty. Errors are emitted
   * as DfsError (FailedPrecondition when the file is replaced, moved or
   * deleted before the stream is read to its end: open it again). Reading the
   * whole file also checks its SHA-256 at the end.
   * @throws DfsError InvalidArgument, synchronously, for a bad path or range.
   */
  createReadStream(remotePath: string, options?: ReadStreamOptions): Readable;
  /** A file's or directory's info. @throws DfsError NotFound */
  stat(path: string): Promise<FileInfo>;
  /**
   * The entries of a directory (files and subdirectories, `isDirectory` set),
   * or with `recursive` every file below it, in byte order of their paths,
   * fetched page by page as iterated.
   * @throws DfsError NotFound, FailedPrecondition (a file, not a directory)
   */
  list(path: string, options?: ListOptions): AsyncIterable<FileInfo>;
  /** Deletes a file, or a directory tree with `recursive` (default false). Chunks are collected later. */
  delete(path: string, options?: { recursive?: boolean }): Promise<{ filesDeleted: number }>;
  /** Renames a file or directory; `overwrite` (default false) replaces an existing file at `to`. */
  rename(from: string, to: string, options?: { overwrite?: boolean }): Promise<{ filesRenamed: number }>;
  /** Every datanode the coordinator knows, with its state and usage. */
  nodes(): Promise<NodeInfo[]>;
  /** The cluster in numbers: nodes by state, capacity, files, chunks, and self-healing progress. */
  status(): Promise<ClusterStatus>;
  /**
   * Decommissions a datanode: resolves with it `draining` once the
   * coordinator has queued a copy of each of its chunks for another node. It
   * keeps serving reads meanwhile but takes no new chunks; when every chunk
   * it holds has its copies elsewhere it turns `drained` (watch
   * {@link DfsClient.nodes}) and can be stopped without leaving anything
   * under-replicated. It stays draining while the cluster has no other node
   * to copy to. Asking again is harmless (a drained node is checked again
   * and turns drained again).
   * @throws DfsError NotFound (no such node), FailedPrecondition (the node is dead: its chunks are re-replicated already), InvalidArgument (an empty id)
   */
  drainNode(nodeId: string): Promise<NodeInfo>;
  /**
   * Calls off a drain: a `draining` or `drained` node is `healthy` again,
   * takes new chunks, and its copies count again (copies made elsewhere
   * meanwhile are surplus and trimmed). A dead node that was draining keeps
   * dead until it comes back, then healthy. Resolves with the node; for a
   * node that is not draining, changes nothing.
   * @throws DfsError NotFound (no such node), InvalidArgument (an empty id)
   */
  undrainNode(nodeId: string): Promise<NodeInfo>;
  /**
   * Checks the health of every file at or below `path` (a file or a
   * directory; default `/`) from the copies the datanodes reported, and
   * lists the files that are not healthy. Read-only: it changes and repairs
   * nothing (self-healing does, on its own).
   *
   * The coordinator answers Unavailable (retryable) until every datanode has
   * reported its chunks since it started, usually seconds after a restart;
   * the client's usual retries (5 attempts, about 1.5 s in all) may not be
   * enough, so retry later, or wait for `status().viewComplete`.
   * @throws DfsError NotFound (nothing at `path`), InvalidArgument (a bad path), Unavailable (the coordinator's view is not complete yet)
   */
  fsck(path?: string): Promise<FsckReport>;
  /** Closes every connection, aborting transfers in flight. Later calls fail with FailedPrecondition. */
  close(): Promise<void>;
}
