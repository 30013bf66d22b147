import { loadConfig, zDuration, zPort, zSize } from '@dfs/config';
import { z } from 'zod';

/** Everything a coordinator can be told; defaults suit a laptop. */
export const coordinatorConfigSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    /** 0 picks a free port (logged at start). */
    port: zPort.default(8080),
    /** Where the embedded metadata store keeps its file. */
    dataDir: z.string().min(1).default('.dfs/coordinator'),
    logLevel: z.string().default('info'),
    metadata: z
      .object({
        backend: z.enum(['embedded', 'etcd', 'memory']).default('embedded'),
        /** etcd client URLs or host:port, for backend etcd. */
        etcdEndpoints: z.array(z.string().min(1)).default([]),
        /** Key prefix in etcd, so clusters can share one etcd. */
        etcdPrefix: z.string().min(1).default('dfs'),
      })
      .strict()
      .prefault({}),
    files: z
      .object({
        defaultReplication: z.number().int().min(1).max(16).default(3),
        /** Chunk size of uploads that ask for none (1 KiB to 64 MiB). */
        defaultChunkSize: zSize.pipe(z.number().int().min(1024).max(64 * 1024 * 1024)).default(8 * 1024 * 1024),
        /** Durable copies each chunk needs at commit (capped at the file's replication). */
        minReplicas: z.number().int().min(1).max(16).default(2),
        /** An upload session expires this long after its last activity. */
        uploadTtlMs: zDuration.default(15 * 60_000),
        maxPlacementsPerCall: z.number().int().min(1).max(10_000).default(1_000),
      })
      .strict()
      .prefault({}),
    membership: z
      .object({
        heartbeatIntervalMs: zDuration.default(2_000),
        suspectAfterMs: zDuration.default(6_000),
        deadAfterMs: zDuration.default(30_000),
      })
      .strict()
      .prefault({}),
    healing: z
      .object({
        /** A chunk no file or open upload references is deleted from a node after this long (seen so throughout). */
        orphanGraceMs: zDuration.default(3_600_000),
        /** Chunks of a deleted or overwritten file are deleted this long after, so running reads of it can finish. */
        gcDelayMs: zDuration.default(120_000),
        /**
         * Deletes still owed by a node that is dead are dropped after it has been
         * gone this long (a node back sooner deletes them on its chunk report; later,
         * they are orphans on it, removed after orphanGraceMs).
         */
        forgetDeadNodeAfterMs: zDuration.default(24 * 3_600_000),
        /** Full check of every chunk against its replication, besides the checks on each event. */
        scanIntervalMs: zDuration.default(600_000),
        /** Re-replication copies a node runs at once, as source and as target each. */
        maxCopiesPerNode: z.number().int().min(1).max(64).default(2),
        /** A copy not reported done after this long is retried elsewhere. */
        copyTimeoutMs: zDuration.default(120_000),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.metadata.backend === 'etcd' && c.metadata.etcdEndpoints.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['metadata', 'etcdEndpoints'], message: 'backend etcd needs ETCD_ENDPOINTS (comma-separated host:port)' });
    }
  });

export type CoordinatorConfig = z.infer<typeof coordinatorConfigSchema>;

export const COORDINATOR_ENV = {
  COORDINATOR_HOST: 'host',
  COORDINATOR_PORT: 'port',
  DATA_DIR: 'dataDir',
  LOG_LEVEL: 'logLevel',
  METADATA_BACKEND: 'metadata.backend',
  ETCD_ENDPOINTS: 'metadata.etcdEndpoints',
  ETCD_PREFIX: 'metadata.etcdPrefix',
  DFS_DEFAULT_REPLICATION: 'files.defaultReplication',
  DFS_DEFAULT_CHUNK_SIZE: 'files.defaultChunkSize',
  DFS_MIN_REPLICAS: 'files.minReplicas',
  DFS_UPLOAD_TTL: 'files.uploadTtlMs',
  DFS_HEARTBEAT_INTERVAL: 'membership.heartbeatIntervalMs',
  DFS_SUSPECT_AFTER: 'membership.suspectAfterMs',
  DFS_DEAD_AFTER: 'membership.deadAfterMs',
  DFS_ORPHAN_GRACE: 'healing.orphanGraceMs',
  DFS_GC_DELAY: 'healing.gcDelayMs',
  DFS_FORGET_DEAD_NODE_AFTER: 'healing.forgetDeadNodeAfterMs',
  DFS_HEAL_SCAN_INTERVAL: 'healing.scanIntervalMs',
  DFS_MAX_COPIES_PER_NODE: 'healing.maxCopiesPerNode',
  DFS_COPY_TIMEOUT: 'healing.copyTimeoutMs',
} as const;

/** Defaults < YAML file (COORDINATOR_CONFIG or `file`) < environment. Throws ConfigError listing every problem. */
export function loadCoordinatorConfig(env: NodeJS.ProcessEnv = process.env, file?: string): CoordinatorConfig {
  return loadConfig(coordinatorConfigSchema, { env, envMap: COORDINATOR_ENV, file, fileEnvVar: 'COORDINATOR_CONFIG' });
}
