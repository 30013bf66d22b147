import { connectNodeAdapter } from '@connectrpc/connect-node';
import { StallMeter, createMembership, type Membership } from '@dfs/cluster';
import { serveHttp2 } from '@dfs/client-pool';
import { createMetadataStore, type MetadataStore } from '@dfs/metadata';
import { CoordinatorService } from '@dfs/proto';
import type { Logger } from 'pino';
import { ChunkDeletions } from './chunk-deletions.js';
import { fsck } from './fsck.js';
import { Healing } from './healing.js';
import { clusterPlacer } from './cluster-placer.js';
import type { CoordinatorConfig } from './coordinator-config.js';
import { membershipHandlers } from './membership-handlers.js';
import { namespaceHandlers } from './namespace-handlers.js';
import { MAX_REQUEST_BYTES } from './request-limits.js';


export interface Coordinator {
  readonly address: string;
  readonly port: number;
  readonly store: MetadataStore;
  readonly membership: Membership;
  close(): Promise<void>;
}

/** Opens the metadata store, loads membership, serves CoordinatorService and runs the background loops. */
export async function startCoordinator(config: CoordinatorConfig, logger: Logger): Promise<Coordinator> {
  const m = config.metadata;
  const store = await createMetadataStore(
    m.backend === 'etcd' ? { backend: 'etcd', endpoints: m.etcdEndpoints, prefix: m.etcdPrefix } : m.backend === 'embedded' ? { backend: 'embedded', dataDir: config.dataDir } : { backend: 'memory' },
  );
  // A blocked event loop (a huge transaction, a GC pause) hears no heartbeats: not the nodes' fault.
  // Its timer is unref'd: a start that fails below leaves nothing that holds the process.
  const stalls = new StallMeter();
  const membership = createMembership({
    store,
    stalledMs: () => {
      const ms = stalls.take();
      if (ms > 0) logger.warn({ stalledMs: Math.round(ms) }, 'the coordinator was unresponsive; node silence in that time is not counted');
      return ms;
    },
    heartbeatIntervalMs: config.membership.heartbeatIntervalMs,
    suspectAfterMs: config.membership.suspectAfterMs,
    deadAfterMs: config.membership.deadAfterMs,
    onPersistError: (err, nodeId) => logger.warn({ nodeId, err: err.rawMessage }, 'could not persist a node record; retrying'),
  });
  for (const t of await membership.load()) logger.info(t, 'node state after restart');
  const healing = new Healing(store, membership, logger, config.healing);
  const deletions = new ChunkDeletions(store, membership, logger, { locate: (chunk) => healing.locate(chunk), deleteDelayMs: config.healing.gcDelayMs });

  const handler = connectNodeAdapter({
    routes: (router) =>
      router.service(CoordinatorService, {
        ...namespaceHandlers(store, clusterPlacer(membership), {
          defaultReplication: config.files.defaultReplication,
          defaultChunkSize: config.files.defaultChunkSize,
          minReplicas: config.files.minReplicas,
          uploadTtlMs: config.files.uploadTtlMs,
          maxPlacementsPerCall: config.files.maxPlacementsPerCall,
          now: Date.now,
          onCommitted: (file, chunks) => healing.committed(file, chunks),
          locate: (chunk) => healing.locate(chunk),
        }),
        ...membershipHandlers(membership, store, deletions, healing),
        fsck: (req) => fsck(store, healing, req),
      }),
    readMaxBytes: MAX_REQUEST_BYTES,
  });
  const listener = await serveHttp2(handler, { host: config.host, port: config.port });
  const port = listener.port;
  const address = `${config.host}:${port}`;
  logger.info({ address, port, backend: m.backend }, 'coordinator listening');

  /** Dead nodes whose owed deletes were dropped (once per death). */
  const forgotten = new Set<string>();
  const loops = [
    every(config.membership.heartbeatIntervalMs / 2, async () => {
      const transitions = await membership.tick();
      for (const t of transitions) logger.info(t, 'node state changed');
      // Starts the checks of lost nodes' chunks without waiting for them (minutes on etcd): the next tick must come on time.
      healing.transitions(transitions);
      // Deletes wait for a dead node to come back and confirm, until it has been gone this long.
      const forgetBefore = Date.now() - config.healing.forgetDeadNodeAfterMs;
      for (const n of membership.nodes()) {
        if (n.state !== 'dead') forgotten.delete(n.nodeId);
        else if (n.lastHeartbeat.getTime() < forgetBefore && !forgotten.has(n.nodeId)) {
          forgotten.add(n.nodeId);
          deletions.nodeDead(n.nodeId);
        }
      }
    }),
    every(1_000, () => healing.tick()),
    every(1_000, () => deletions.poll().then(() => undefined)),
    every(5_000, async () => {
      for (const u of await store.expiredUploads(new Date(), 100)) {
        await store.abortUpload(u.uploadId, 'expired');
        logger.info({ uploadId: u.uploadId, path: u.path }, 'upload expired; its chunks are queued for deletion');
      }
    }),
  ];

  let closing: Promise<void> | undefined;
  return {
    address,
    port,
    store,
    membership,
    close: () =>
      (closing ??= (async () => {
        loops.forEach((stop) => stop());
        stalls.close();
        await listener.close();
        await membership.flush();
        await store.close();
        logger.info('coordinator stopped');
      })()),
  };

  /** Runs `task` every `ms`, never overlapping itself; errors are logged, not fatal. */
  function every(ms: number, task: () => Promise<void>): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      task()
        .catch((err: unknown) => logger.warn({ err }, 'background task failed; retrying'))
        .finally(() => (running = false));
    }, ms);
    return () => clearInterval(timer);
  }
}
