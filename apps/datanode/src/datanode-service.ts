import { create } from '@bufbuild/protobuf';
import type { ConnectRouter, HandlerContext } from '@connectrpc/connect';
import type { ChunkStore } from '@dfs/chunk-store';
import type { ClientPool } from '@dfs/client-pool';
import {
  Code,
  DatanodeService,
  DeleteChunksResponseSchema,
  DfsError,
  HealthResponseSchema,
  ReplicaResultSchema,
  isChunkId,
  type CopyChunkRequest,
  type DeleteChunksRequest,
} from '@dfs/proto';
import type { InFlight } from './in-flight.js';
import { createReadChunkHandler, type ReadChunkHandlerDeps } from './read-chunk-handler.js';
import { copyChunkTo, type CopyDeps } from './copy-chunk-to.js';
import { deleteEach } from './delete-each.js';
import { createWriteChunkHandler, type WriteChunkHandlerDeps } from './write-chunk-handler.js';

export interface DatanodeServiceDeps extends WriteChunkHandlerDeps, Pick<ReadChunkHandlerDeps, 'read'> {
  store: ChunkStore;
  pool: ClientPool;
  inFlight: InFlight;
  /** Shared with the copy commands of heartbeats: one limit on copies however they are asked for. */
  copySlots: CopyDeps['copySlots'];
  version: string;
  startedAt: number;
}

const MAX_DELETE_BATCH = 10_000;

/** Registers every DatanodeService RPC on a Connect router. */
export function registerDatanodeService(router: ConnectRouter, deps: DatanodeServiceDeps): void {
  router.service(DatanodeService, {
    writeChunk: createWriteChunkHandler(deps),
    readChunk: createReadChunkHandler(deps),

    async deleteChunks(req: DeleteChunksRequest, ctx: HandlerContext) {
      if (req.chunkIds.length > MAX_DELETE_BATCH) {
        throw new DfsError(Code.InvalidArgument, `${req.chunkIds.length} ids in one call; send at most ${MAX_DELETE_BATCH} per call`);
      }
      const bad = req.chunkIds.find((id) => !isChunkId(id));
      if (bad !== undefined) {
        throw new DfsError(Code.InvalidArgument, `malformed chunk id ${JSON.stringify(String(bad).slice(0, 80))}: nothing was deleted`, { reason: 'BAD_CHUNK_ID' });
      }
      return deleteAll(deps, req.chunkIds, ctx.signal);
    },

    async copyChunk(req: CopyChunkRequest, ctx: HandlerContext) {
      if (!isChunkId(req.chunkId)) throw new DfsError(Code.InvalidArgument, 'malformed chunk id: expected 32 lowercase hex characters', { reason: 'BAD_CHUNK_ID' });
      if (!req.target?.address) throw new DfsError(Code.InvalidArgument, 'copy target missing: name the node to copy to');
      // Resolves only once the target's own answer says it holds this chunk durably.
      await copyChunkTo(deps, req.chunkId, req.target, ctx.signal);
      return { result: create(ReplicaResultSchema, { replica: req.target, durable: true }) };
    },

    async health() {
      const usage = await deps.store.usage();
      return create(HealthResponseSchema, {
        nodeId: deps.self.nodeId,
        status: deps.inFlight.isDraining ? 'draining' : 'serving',
        version: deps.version,
        uptimeMs: BigInt(Date.now() - deps.startedAt),
        stats: {
          capacityBytes: BigInt(usage.capacityBytes),
          usedBytes: BigInt(usage.usedBytes),
          freeBytes: BigInt(usage.freeBytes),
          chunkCount: BigInt(usage.chunkCount),
          activeTransfers: deps.inFlight.size,
        },
      });
    },
  });
}

/** Failed ids named in the error message; the rest are counted. */
const MAX_NAMED_FAILURES = 5;

/**
 * DeleteChunks proper. Every id is tried, each on its own. The response can
 * say only "deleted" and "not found", and a success that left out the ids
 * that failed would pass for a full one with a caller that does not compare
 * lists: so if any id is still here (or the node stopped midway), the call
 * fails, naming them, and carries what was done as a DeleteChunksResponse
 * in its error details. Deleting is idempotent: sending the call again is
 * always safe, and answers "not found" for the ids deleted this time.
 */
async function deleteAll(deps: DatanodeServiceDeps, chunkIds: readonly string[], signal: AbortSignal): Promise<{ deleted: string[]; notFound: string[] }> {
  const { deleted, notFound, failed } = await deleteEach(deps.store, chunkIds, signal);
  const asked = new Set(chunkIds).size;
  const done = deleted.length + notFound.length;
  if (failed.length === 0 && done === asked) return { deleted, notFound };
  let error: DfsError;
  if (failed.length > 0) {
    const named = failed.slice(0, MAX_NAMED_FAILURES).map((f) => `${f.chunkId}: ${f.error.rawMessage}`);
    if (failed.length > named.length) named.push(`and ${failed.length - named.length} more`);
    deps.logger.warn({ failed: failed.length, asked, sample: named.slice(0, MAX_NAMED_FAILURES) }, 'DeleteChunks: some chunks could not be deleted');
    error = new DfsError(
      failed[0]!.error.code,
      `could not delete ${failed.length} of ${asked} chunks (${named.join('; ')}); the other ${done} were deleted or not found (listed in the error details); send the call again later`,
    );
  } else {
    const code = signal.aborted ? Code.Canceled : Code.Unavailable;
    const why = signal.aborted ? 'the call was canceled' : 'the datanode is shutting down';
    error = new DfsError(code, `stopped after ${done} of ${asked} chunks (${why}); those are listed in the error details; send the call again`, {
      reason: signal.aborted ? undefined : 'SHUTTING_DOWN',
    });
  }
  error.details.push({ desc: DeleteChunksResponseSchema, value: { deleted, notFound } });
  throw error;
}
