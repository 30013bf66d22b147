import { setTimeout as sleep } from 'node:timers/promises';
import { Code, DfsError as WireError, type ChunkLocation } from '@dfs/proto';
import { readChunkStream } from '@dfs/streamer';
import type { ClientContext } from './client-context.js';

/** Passes over a chunk's replicas before giving up, when every failure looked transient. */
const PASSES = 2;

/**
 * `length` bytes of a chunk from `offset`, verified block by block
 * (readChunkStream yields only bytes of blocks that matched their digests,
 * reading the blocks at the range's edges whole). A replica
 * that fails (down, stalled, holding damaged or other bytes) is replaced by
 * the next one, resuming at the first byte not yet yielded. Fails with
 * DataLoss when every replica had bad bytes or none at all, else with
 * Unavailable (some could not be reached; a later try may succeed).
 */
export async function* readChunkRange(
  ctx: ClientContext,
  chunk: ChunkLocation,
  offset: number,
  length: number,
  signal: AbortSignal,
  what: string,
  /** Nodes that failed earlier in the same transfer: tried last, so a dead or stalled node costs one timeout, not one per chunk. */
  failedNodes: Set<string> = new Set(),
): AsyncGenerator<Uint8Array> {
  const end = offset + length;
  let pos = offset;
  const failures: string[] = [];
  const badReplicas = new Set<string>();
  const replicas = [...chunk.replicas.filter((r) => !failedNodes.has(r.nodeId)), ...chunk.replicas.filter((r) => failedNodes.has(r.nodeId))];
  for (let pass = 1; pass <= PASSES && pos < end; pass++) {
    if (pass > 1) await sleep(200, undefined, { signal });
    for (const replica of replicas) {
      if (badReplicas.has(replica.nodeId)) continue;
      try {
        for await (const piece of readChunkStream(ctx.datanode(replica.address), {
          chunkId: chunk.chunkId,
          offset: pos,
          length: end - pos,
          chunkSize: Number(chunk.size),
          expectedSha256: chunk.sha256,
          idleTimeoutMs: ctx.idleTimeoutMs,
          signal,
        })) {
          pos += piece.length;
          yield piece;
        }
        if (pos === end) return;
        failures.push(`${replica.address}: the stream ended at byte ${pos} of ${end}`);
      } catch (err) {
        const error = WireError.from(err);
        if (signal.aborted) throw error;
        // Damaged bytes, or a copy the node no longer has (it quarantined or lost it): no retry helps.
        if (error.code === Code.DataLoss || error.code === Code.NotFound) badReplicas.add(replica.nodeId);
        failures.push(`${replica.address}: ${error.rawMessage}`);
        failedNodes.add(replica.nodeId);
      }
    }
    // Another pass only for replicas that may have been briefly away.
    if (chunk.replicas.every((r) => badReplicas.has(r.nodeId))) break;
  }
  if (pos === end) return;
  const tried = failures.length > 0 ? failures.join('; ') : 'the coordinator knows no live replica of it';
  if (chunk.replicas.length > 0 && chunk.replicas.every((r) => badReplicas.has(r.nodeId))) {
    throw new WireError(Code.DataLoss, `${what}: no replica has good bytes of chunk ${chunk.index} (${tried}); the file is damaged`, { reason: 'CORRUPT_CHUNK' });
  }
  throw new WireError(Code.Unavailable, `${what}: no replica of chunk ${chunk.index} could be read (${tried}); try again when its datanodes are back`);
}
