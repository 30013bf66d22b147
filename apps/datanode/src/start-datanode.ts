import { connectNodeAdapter } from '@connectrpc/connect-node';
import { ChunkScrubber, createChunkStore, type ChunkStore } from '@dfs/chunk-store';
import { createClientPool, serveHttp2 } from '@dfs/client-pool';
import { ByteBudget } from '@dfs/streamer';
import { MAX_FRAME_SIZE, ReplicaSchema } from '@dfs/proto';
import { create } from '@bufbuild/protobuf';
import type { Logger } from 'pino';
import type { DatanodeConfig } from './datanode-config.js';
import { CoordinatorAgent } from './coordinator-agent.js';
import { copyChunkTo } from './copy-chunk-to.js';
import { registerDatanodeService } from './datanode-service.js';
import { resetStreamContext } from './reset-stream-key.js';
import { InFlight } from './in-flight.js';
import { loadNodeId } from './node-identity.js';
import { PendingReports } from './pending-reports.js';
import { WriteSlots } from './write-slots.js';

export interface Datanode {
  readonly nodeId: string;
  /** host:port peers and clients use. */
  readonly address: string;
  readonly port: number;
  readonly store: ChunkStore;
  /** Graceful stop: refuse new writes, let running ones finish (up to the grace period), close everything. */
  close(): Promise<void>;
}

// Messages carry at most one frame plus a little framing; anything larger is
// refused by the transport (ResourceExhausted) before it is buffered.
const MAX_MESSAGE_BYTES = MAX_FRAME_SIZE + 64 * 1024;

/** Opens the chunk store, binds the server and serves DatanodeService until close(). */
export async function startDatanode(config: DatanodeConfig, logger: Logger, version = '0.1.0'): Promise<Datanode> {
  const nodeId = await loadNodeId(config.dataDir);
  const log = logger.child({ nodeId });
  const reportsTo = config.coordinators.length > 0;
  // Exists before the store: its startup scan may already quarantine chunks.
  const corruptChunks = new PendingReports<string>();
  const store = await createChunkStore(config.dataDir, {
    capacityBytes: config.capacity,
    logger: log,
    onCorrupt: (chunkId, reason) => {
      log.error({ chunkId, reason }, 'corrupt chunk quarantined');
      if (reportsTo) corruptChunks.add(chunkId);
    },
  });
  // Replica streams are bounded by idle timeouts, not by a deadline: a long
  // chunk on a slow link is fine as long as it keeps moving.
  const pool = createClientPool({ timeoutMs: 0 });
  const inFlight = new InFlight();
  const copySlots = new ByteBudget(config.copy.maxActive);
  const self = create(ReplicaSchema, { nodeId, address: '' });

  const writeConfig = {
    maxFrameSize: config.write.maxFrameSize,
    idleTimeoutMs: config.write.idleTimeoutMs,
    replicaIdleTimeoutMs: config.write.replicaIdleTimeoutMs,
    replicaWindowFrames: config.write.replicaWindowFrames,
    defaultMinReplicas: config.write.minReplicas,
  };
  const handler = connectNodeAdapter({
    routes: (router) =>
      registerDatanodeService(router, {
        store,
        pool,
        inFlight,
        self,
        logger: log,
        budgets: { pipelined: new ByteBudget(config.write.memoryBudget), leaf: new ByteBudget(config.write.memoryBudget) },
        slots: new WriteSlots(config.write),
        version,
        startedAt: Date.now(),
        write: writeConfig,
        read: { idleTimeoutMs: config.read.idleTimeoutMs, slots: new ByteBudget(config.read.maxActive) },
        copySlots,
      }),
    // Lets a stalled read reset its stream (see read-chunk-handler.ts).
    contextValues: resetStreamContext,
    readMaxBytes: MAX_MESSAGE_BYTES,
    writeMaxBytes: MAX_MESSAGE_BYTES,
    // Never compress a reply, whatever the client accepts: chunk bytes are
    // usually incompressible, and gzip of every 1 MiB frame cost a sixth of
    // a downloading client's CPU and a little of every datanode's.
    compressMinBytes: Number.MAX_SAFE_INTEGER,
  });
  const listener = await serveHttp2(handler, { host: config.host, port: config.port, windows: { initialWindowSize: config.streamWindow } });
  const port = listener.port;
  self.address = config.advertiseAddress ?? `${config.host}:${port}`;
  log.info({ address: self.address, port, host: config.host, dataDir: config.dataDir }, 'datanode listening');

  const agent = reportsTo
    ? new CoordinatorAgent({
        coordinators: config.coordinators,
        pool,
        store,
        self: { nodeId, address: self.address, zone: config.zone },
        logger: log,
        activeTransfers: () => inFlight.size,
        copyChunk: (chunkId, target, signal) => copyChunkTo({ store, pool, inFlight, write: writeConfig, copySlots, self }, chunkId, target, signal),
        reportIntervalMs: config.reportIntervalMs,
        corruptChunks,
      })
    : undefined;
  agent?.start();
  const scrubbing = startScrubber(store, config.scrub, log);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      log.info({ inFlight: inFlight.size }, 'datanode shutting down');
      await scrubbing.stop();
      await agent?.stop();
      await listener.close(async () => {
        const drained = await inFlight.drain(config.shutdownGraceMs);
        if (!drained.finished) log.warn({ canceled: drained.canceled }, 'canceled in-flight operations at shutdown');
      });
      await pool.close();
      await store.close();
      log.info('datanode stopped');
    })());

  return { nodeId, address: self.address, port, store, close };
}

/** Scrubs the store in the background until stop(); a rate of 0 turns it off. */
function startScrubber(store: ChunkStore, scrub: DatanodeConfig['scrub'], log: Logger): { stop(): Promise<void> } {
  if (scrub.bytesPerSecond === 0) {
    log.info('scrubber off (scrub.bytesPerSecond is 0)');
    return { stop: async () => undefined };
  }
  const controller = new AbortController();
  const running = new ChunkScrubber(store, { bytesPerSecond: scrub.bytesPerSecond, intervalMs: scrub.intervalMs, logger: log }).run(controller.signal);
  return {
    stop: () => {
      controller.abort();
      return running;
    },
  };
}
