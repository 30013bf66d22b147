import { createHash } from 'node:crypto';
import type { CommittedChunk } from '@dfs/proto';
import { checkConcurrency, checkCount } from './check-options.js';
import type { ChunkBody } from './chunk-source.js';
import type { ClientContext } from './client-context.js';
import type { UploadOptions, UploadSource } from './dfs-client.js';
import { DfsError } from './dfs-error.js';
import { toFileInfo, type FileInfo } from './file-info.js';
import { canceled, forEachConcurrently } from './for-each-concurrently.js';
import { openChunkSource } from './open-chunk-source.js';
import { PlacementQueue } from './placement-queue.js';
import { storeChunk } from './store-chunk.js';
import { UploadRenewer } from './upload-renewer.js';

/** Longest wait for the best-effort AbortUpload after a failure. */
const ABORT_TIMEOUT_MS = 5_000;

/**
 * CreateUpload, then every chunk stored (up to `concurrency` at once, each
 * retried on new placements as storeChunk says), then CommitUpload with the
 * chunks' durable replicas and the whole file's SHA-256. On any failure or
 * abort the upload is aborted (best effort; the coordinator also expires
 * it) and nothing becomes visible.
 */
export async function uploadFile(ctx: ClientContext, path: string, input: UploadSource, options: UploadOptions = {}): Promise<FileInfo> {
  const requested = checkConcurrency(options.concurrency);
  const chunkSize = checkCount(options.chunkSize, 'chunkSize') ?? 0;
  const replication = checkCount(options.replication, 'replication') ?? 0;
  const signal = options.signal ?? new AbortController().signal;
  if (signal.aborted) throw DfsError.from(canceled(signal));
  const source = await openChunkSource(input).catch((err: unknown) => {
    throw DfsError.from(err);
  });
  let uploadId: string | undefined;
  /** Set once the commit is sent: from then on the upload may have landed. */
  let commit: SentCommit | undefined;
  let renewer: UploadRenewer | undefined;
  try {
    const created = await ctx.coordinator(
      (c, o) =>
        c.createUpload(
          {
            path,
            size: source.size === undefined ? undefined : BigInt(source.size),
            chunkSize: BigInt(chunkSize),
            replication,
            overwrite: options.overwrite ?? false,
          },
          o,
        ),
      signal,
    );
    uploadId = created.uploadId;
    renewer = new UploadRenewer(ctx, uploadId, created.ttlMs);
    const placedChunkSize = Number(created.chunkSize);
    const chunkCount = source.size === undefined ? undefined : Math.ceil(source.size / placedChunkSize);
    const progress = new UploadProgressTracker(source.size, options.onProgress);
    const chunks: CommittedChunk[] = [];
    const fileHash = createHash('sha256');
    const writes = { ctx, uploadId, placements: new PlacementQueue(ctx, uploadId, created.placements, chunkCount), failedNodes: new Set<string>(), onProgress: progress.acked };
    await forEachConcurrently(
      // The tasks' signal, not the caller's: it also aborts when a chunk
      // fails, so a source waiting on a stalled stream stops then too,
      // instead of holding its spool file and the caller's stream.
      (taskSignal) => source.chunks(placedChunkSize, fileHash, taskSignal),
      // More tasks than fit in the client's write slots would only wait (and
      // spool, and hold placements) without writing sooner.
      Math.min(requested, ctx.chunkWrites.fit(placedChunkSize)),
      async (body, taskSignal) => {
        try {
          chunks.push(await storeChunk(writes, body, taskSignal));
          progress.stored(body);
        } finally {
          await body.release();
        }
      },
      signal,
    );
    await source.finish();
    if (signal.aborted) throw canceled(signal);
    // Built once: a commit retried after a lost response sends the same request (commits are idempotent).
    const request = { uploadId, chunks, fileSha256: fileHash.digest(), size: BigInt(source.bytesRead) };
    // Not abortable (its own deadline bounds it): cut short, the commit may
    // still land, and a rejected upload() would leave a visible file behind.
    // So an abort from here on is too late, and the upload completes.
    commit = request;
    const { file } = await ctx.coordinator((c, o) => c.commitUpload(request, o));
    uploadId = undefined;
    return toFileInfo(file!);
  } catch (err) {
    if (uploadId !== undefined) {
      const landed = await abortUpload(ctx, uploadId, commit);
      if (landed) return landed;
    }
    // A commit that failed on its own (not aborted) says why, also when an abort came meanwhile.
    throw DfsError.from(signal.aborted && !commit ? canceled(signal) : err);
  } finally {
    renewer?.stop();
    // The outcome is decided by now (committed, or failed with its own
    // error): failing to free a local handle or temp directory must not turn
    // a committed upload into a rejection, nor hide why it failed. The SDK
    // has no logger to report it to, so it is dropped.
    await source.close().catch(() => undefined);
  }
}

/** A CommitUpload request as sent. */
interface SentCommit {
  uploadId: string;
  chunks: CommittedChunk[];
  fileSha256: Uint8Array;
  size: bigint;
}

/**
 * Aborts the upload, best effort (the coordinator also expires it). After a
 * commit that failed without an answer (every attempt's reply lost), the
 * commit may have landed: the coordinator then refuses the abort with
 * FailedPrecondition, and the file is asked of CommitUpload again (idempotent
 * on the upload id) and returned, since the upload succeeded. Undefined when
 * the upload did not land, or that cannot be learnt.
 */
async function abortUpload(ctx: ClientContext, uploadId: string, sent: SentCommit | undefined): Promise<FileInfo | undefined> {
  // Its own deadline, not the caller's signal (which may be what aborted us).
  const deadline = () => AbortSignal.timeout(ABORT_TIMEOUT_MS);
  const committed = await ctx.coordinator((c, o) => c.abortUpload({ uploadId }, o), deadline()).then(
    () => false,
    (err: unknown) => DfsError.from(err).code === 'FailedPrecondition',
  );
  if (!committed || !sent) return undefined;
  const again = await ctx.coordinator((c, o) => c.commitUpload(sent, o), deadline()).catch(() => undefined);
  return again?.file && toFileInfo(again.file);
}

/** Turns per-chunk acknowledgements into monotonic upload progress. */
class UploadProgressTracker {
  private loaded = 0;
  private chunks = 0;
  /** Bytes counted per chunk in flight; a retry counts only past what it had. */
  private readonly counted = new Map<number, number>();

  constructor(
    private readonly total: number | undefined,
    private readonly report: UploadOptions['onProgress'],
  ) {}

  readonly acked = (body: ChunkBody, bytes: number): void => {
    const before = this.counted.get(body.index) ?? 0;
    if (bytes <= before) return;
    this.counted.set(body.index, bytes);
    this.loaded += bytes - before;
    this.emit();
  };

  stored(body: ChunkBody): void {
    this.acked(body, body.size);
    this.counted.delete(body.index);
    this.chunks++;
    this.emit();
  }

  private emit(): void {
    this.report?.({ loaded: this.loaded, total: this.total, chunks: this.chunks });
  }
}
