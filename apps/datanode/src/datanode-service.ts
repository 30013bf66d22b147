import { create } from '@bufbuild/protobuf';
import type { ConnectRouter, HandlerContext } from '@connectrpc/connect';
import type { ChunkStore } from '@dfs/chunk-store';
import type { ClientPool } from '@dfs/client-pool';
import {
  Code,
  DatanodeService,
  DfsError,
  HealthResponseSchema,
  ReplicaResultSchema,
  isChunkId,
  type CopyChunkRequest,
  type DeleteChunksRequest,
} from '@dfs/proto';
import type { InFlight } from './in-flight.js';
import { createReadChunkHandler } from './read-chunk-handler.js';
import { copyChunkTo, type CopyDeps } from './copy-chunk-to.js';
import { createWriteChunkHandler, type WriteChunkHandlerDeps } from './write-chunk-handler.js';

export interface DatanodeServiceDeps extends WriteChunkHandlerDeps {
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

    async deleteChunks(req: DeleteChunksRequest) {
      if (req.chunkIds.length > MAX_DELETE_BATCH) {
        throw new DfsError(Code.InvalidArgument, `${req.chunkIds.length} ids in one call; send at most ${MAX_DELETE_BATCH} per call`);
      }
      const bad = req.chunkIds.find((id) => !isChunkId(id));
      if (bad !== undefined) {
        throw new DfsError(Code.InvalidArgument, `malformed chunk id ${JSON.stringify(String(bad).slice(0, 80))}: nothing was deleted`, { reason: 'BAD_CHUNK_ID' });
      }
      const deleted: string[] = [];
      const notFound: string[] = [];
      for (const id of req.chunkIds) ((await deps.store.delete(id)) ? deleted : notFound).push(id);
      return { deleted, notFound };
    },

    async copyChunk(req: CopyChunkRequest, ctx: HandlerContext) {
      if (!isChunkId(req.chunkId)) throw new DfsError(Code.InvalidArgument, 'malformed chunk id: expected 32 lowercase hex characters', { reason: 'BAD_CHUNK_ID' });
      if (!req.target?.address) throw new DfsError(Code.InvalidArgument, 'copy target missing: name the node to copy to');
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
