import { setTimeout as sleep } from 'node:timers/promises';
import { Code, DfsError as WireError, type ChunkLocation, type Replica } from '@dfs/proto';
import { readChunkStream } from '@dfs/streamer';
import { currentLocation, type FileVersion } from './chunk-locations.js';
import type { ClientContext } from './client-context.js';

/** Passes over a chunk's replicas before giving up, when every failure looked transient. */
const PASSES = 2;

/** How far the tries of one chunk range have got. */
interface Progress {
  /** The next byte to read, from the chunk's start. */
  pos: number;
  readonly end: number;
  readonly failures: string[];
  /** Nodes no retry can help: they hold damaged bytes of the chunk, or none. */
  readonly bad: Set<string>;
  /** Whether one of `bad` holds no copy at all (NotFound): the locations may be stale. */
  missing: boolean;
}

/**
 * `length` bytes of a chunk of `file` from `offset`, verified block by block
 * (readChunkStream yields only bytes of blocks that matched their digests,
 * reading the blocks at the range's edges whole). A replica that fails
 * (down, stalled, holding damaged or other bytes, or none) is replaced by the
 * next one, resuming at the first byte not yet yielded.
 *
 * When every replica failed and one of them no longer has the chunk, the
 * locations may be stale rather than the chunk lost: the coordinator is asked
 * again. If the version is gone (replaced or deleted meanwhile, so its chunks
 * were collected), the read fails with FailedPrecondition; if the chunk has
 * moved (healing, draining), the replicas it names now that were not tried
 * yet are tried, as the listed ones were (one re-check per range).
 * Otherwise it fails with DataLoss when every replica had bad bytes or none
 * at all, else with Unavailable (some could not be reached; a later try may
 * succeed).
 */
export async function* readChunkRange(
  ctx: ClientContext,
  file: FileVersion,
  chunk: ChunkLocation,
  offset: number,
  length: number,
  signal: AbortSignal,
  /** Nodes that failed earlier in the same transfer: tried last, so a dead or stalled node costs one timeout, not one per chunk. */
  failedNodes: Set<string> = new Set(),
): AsyncGenerator<Uint8Array> {
  const progress: Progress = { pos: offset, end: offset + length, failures: [], bad: new Set(), missing: false };
  yield* fromReplicas(ctx, chunk, chunk.replicas, progress, signal, failedNodes);
  if (progress.pos === progress.end) return;
  const tried = [...chunk.replicas];
  // Every replica failed. One without the chunk at all may be a stale location
  // rather than a loss (the chunk moved, or its version was replaced or
  // deleted and collected): the coordinator is asked before concluding.
  // Damaged bytes alone need no second opinion.
  if (progress.missing) {
    const now = await locateAgain(ctx, file, chunk, progress, signal);
    const untried = now.replicas.filter((r) => !tried.some((t) => t.nodeId === r.nodeId));
    if (untried.length > 0) {
      yield* fromReplicas(ctx, chunk, untried, progress, signal, failedNodes);
      if (progress.pos === progress.end) return;
      tried.push(...untried);
    }
  }
  const failures = progress.failures.length > 0 ? progress.failures.join('; ') : 'the coordinator knows no live replica of it';
  if (tried.length > 0 && tried.every((r) => progress.bad.has(r.nodeId))) {
    throw new WireError(Code.DataLoss, `${file.path}: no replica has good bytes of chunk ${chunk.index} (${failures}); the file is damaged`, { reason: 'CORRUPT_CHUNK' });
  }
  throw new WireError(Code.Unavailable, `${file.path}: no replica of chunk ${chunk.index} could be read (${failures}); try again when its datanodes are back`);
}

/** Reads the rest of the range from `replicas`, in up to PASSES passes, recording every failure in `progress`. */
async function* fromReplicas(
  ctx: ClientContext,
  chunk: ChunkLocation,
  replicas: readonly Replica[],
  progress: Progress,
  signal: AbortSignal,
  failedNodes: Set<string>,
): AsyncGenerator<Uint8Array> {
  const ordered = [...replicas.filter((r) => !failedNodes.has(r.nodeId)), ...replicas.filter((r) => failedNodes.has(r.nodeId))];
  for (let pass = 1; pass <= PASSES && progress.pos < progress.end; pass++) {
    if (pass > 1) await sleep(200, undefined, { signal });
    for (const replica of ordered) {
      if (progress.bad.has(replica.nodeId)) continue;
      try {
        for await (const piece of readChunkStream(ctx.datanode(replica.address), {
          chunkId: chunk.chunkId,
          offset: progress.pos,
          length: progress.end - progress.pos,
          chunkSize: Number(chunk.size),
          expectedSha256: chunk.sha256,
          idleTimeoutMs: ctx.idleTimeoutMs,
          signal,
        })) {
          progress.pos += piece.length;
          yield piece;
        }
        if (progress.pos === progress.end) return;
        progress.failures.push(`${replica.address}: the stream ended at byte ${progress.pos} of ${progress.end}`);
      } catch (err) {
        const error = WireError.from(err);
        if (signal.aborted) throw error;
        // Damaged bytes, or a copy the node no longer has (quarantined, lost, moved or collected): no retry of it helps.
        if (error.code === Code.DataLoss || error.code === Code.NotFound) progress.bad.add(replica.nodeId);
        if (error.code === Code.NotFound) progress.missing = true;
        progress.failures.push(`${replica.address}: ${error.rawMessage}`);
        failedNodes.add(replica.nodeId);
      }
    }
    // Another pass only for replicas that may have been briefly away.
    if (replicas.every((r) => progress.bad.has(r.nodeId))) break;
  }
}

/** The chunk's current location (currentLocation); FailedPrecondition when the version is gone. */
async function locateAgain(ctx: ClientContext, file: FileVersion, chunk: ChunkLocation, progress: Progress, signal: AbortSignal): Promise<ChunkLocation> {
  try {
    return await currentLocation(ctx, file, chunk, signal);
  } catch (err) {
    const error = WireError.from(err);
    if (signal.aborted || error.code === Code.FailedPrecondition) throw error;
    // Without the coordinator's answer the chunk may be lost or merely moved: not DataLoss, a later try may tell.
    throw new WireError(error.code, `${file.path}: no listed replica of chunk ${chunk.index} has it (${progress.failures.join('; ')}), and asking the coordinator where it is now failed: ${error.rawMessage}`, {
      reason: error.reason,
      retryable: error.retryable,
      cause: error,
    });
  }
}
