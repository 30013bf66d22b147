import { loadConfig, zDuration, zHostPort, zPort, zSize } from '@dfs/config';
import { MAX_FRAME_SIZE } from '@dfs/proto';
import { z } from 'zod';

/** Everything a datanode can be told; defaults suit a laptop. */
export const datanodeConfigSchema = z
  .object({
    /** Interface to listen on. */
    host: z.string().min(1).default('127.0.0.1'),
    /** Port to listen on; 0 picks a free one (logged at start). */
    port: zPort.default(9100),
    /** host:port that peers and clients should use; default host:port as bound. */
    advertiseAddress: zHostPort.optional(),
    /** Where chunks and the node id live. */
    dataDir: z.string().min(1).default('.dfs/datanode'),
    zone: z.string().default(''),
    /** Coordinators to register with (host:port, failover order); none runs the node standalone. */
    coordinators: z.array(zHostPort).default([]),
    /** Full chunk report this often, besides the one after registering. */
    reportIntervalMs: zDuration.default(3_600_000),
    /** Capacity to report; default the filesystem's size. */
    capacity: zSize.optional(),
    logLevel: z.string().default('info'),
    write: z
      .object({
        maxFrameSize: zSize.pipe(z.number().int().min(16 * 1024).max(MAX_FRAME_SIZE)).default(MAX_FRAME_SIZE),
        /** A client that sends nothing for this long is cut off. */
        idleTimeoutMs: zDuration.default(30_000),
        /** A replica that acknowledges nothing for this long is dropped from the write. */
        replicaIdleTimeoutMs: zDuration.default(15_000),
        replicaWindowFrames: z.number().int().min(1).max(64).default(8),
        /** Durable copies a write needs when the client leaves it to the node. */
        minReplicas: z.number().int().min(1).max(16).default(2),
        /**
         * Writes a node runs at once per role; more wait (unread, with
         * keepalive acks). Every running write costs buffers whatever the
         * windows, so this is what holds memory down under many writers.
         */
        maxActive: z.number().int().min(1).max(1024).default(3),
        /**
         * The same for small writes (declared size at most 1 MiB), counted
         * apart from maxActive: one holds at most its declared size, so many
         * can run, and small files do not queue behind each other's fsyncs
         * (see write-slots.ts).
         */
        maxActiveSmall: z.number().int().min(1).max(1024).default(32),
        /**
         * Frames in flight across all writes, per role (primary / replica):
         * what bounds a node's memory under many concurrent writes.
         */
        memoryBudget: zSize.pipe(z.number().int().min(MAX_FRAME_SIZE)).default(32 * 1024 * 1024),
      })
      .strict()
      .prefault({}),
    read: z
      .object({
        /**
         * A read whose client takes no reply for this long (it stopped
         * reading without canceling) is ended and its stream reset, freeing
         * its file, buffers and slot; 0 never ends one. Long enough for a
         * consumer that pauses (a read stream piped to a slow peer): such a
         * reader reads on from another copy, but one that pauses this long
         * on every copy of a chunk fails. HDFS's socket write timeout is 8 min.
         */
        idleTimeoutMs: zDuration.default(5 * 60_000),
        /**
         * Reads a node runs at once; more wait, holding nothing but their
         * request. Each running read holds an fd and up to about two frames
         * (a window of blocks, and the reply queued on its stream).
         */
        maxActive: z.number().int().min(1).max(4096).default(64),
      })
      .strict()
      .prefault({}),
    /**
     * HTTP/2 receive window per stream. Node buffers up to this much of every
     * stream the handler is not reading (the connection window is consumed as
     * data arrives), so memory under N concurrent writes is about N times this.
     */
    streamWindow: zSize.pipe(z.number().int().min(64 * 1024).max(64 * 1024 * 1024)).default(2 * 1024 * 1024),
    /** On SIGTERM, how long in-flight writes may take before they are canceled. */
    shutdownGraceMs: zDuration.default(10_000),
    scrub: z
      .object({
        /**
         * Bytes per second the scrubber reads to re-verify stored chunks
         * against their checksums; 0 turns it off. 10 MB/s goes over 1 TB in
         * about 28 hours at a small share of a disk's bandwidth.
         */
        bytesPerSecond: zSize.default(10_000_000),
        /**
         * Pause between the end of a scrub round and the start of the next;
         * at least 100 ms, so an empty store is not walked in a busy loop.
         */
        intervalMs: zDuration.pipe(z.number().min(100, 'expected a duration of at least 100ms')).default(3_600_000),
      })
      .strict()
      .prefault({}),
    copy: z
      .object({
        /**
         * Chunk copies (re-replication, draining) a node runs at once; more
         * wait in the order they came, so recovery leaves room for clients.
         */
        maxActive: z.number().int().min(1).max(64).default(2),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type DatanodeConfig = z.infer<typeof datanodeConfigSchema>;

/** Env variables the datanode reads, and the config key each sets. */
export const DATANODE_ENV = {
  DATANODE_HOST: 'host',
  DATANODE_PORT: 'port',
  DATANODE_ADVERTISE_ADDRESS: 'advertiseAddress',
  DATA_DIR: 'dataDir',
  DATANODE_ZONE: 'zone',
  DATANODE_COORDINATORS: 'coordinators',
  DATANODE_REPORT_INTERVAL: 'reportIntervalMs',
  DATANODE_CAPACITY: 'capacity',
  LOG_LEVEL: 'logLevel',
  DATANODE_MIN_REPLICAS: 'write.minReplicas',
  DATANODE_IDLE_TIMEOUT: 'write.idleTimeoutMs',
  DATANODE_REPLICA_IDLE_TIMEOUT: 'write.replicaIdleTimeoutMs',
  DATANODE_SHUTDOWN_GRACE: 'shutdownGraceMs',
  DATANODE_MEMORY_BUDGET: 'write.memoryBudget',
  DATANODE_STREAM_WINDOW: 'streamWindow',
  DATANODE_MAX_ACTIVE_WRITES: 'write.maxActive',
  DATANODE_MAX_ACTIVE_SMALL_WRITES: 'write.maxActiveSmall',
  DATANODE_REPLICA_WINDOW: 'write.replicaWindowFrames',
  DATANODE_SCRUB_RATE: 'scrub.bytesPerSecond',
  DATANODE_SCRUB_INTERVAL: 'scrub.intervalMs',
  DATANODE_MAX_ACTIVE_COPIES: 'copy.maxActive',
  DATANODE_READ_IDLE_TIMEOUT: 'read.idleTimeoutMs',
  DATANODE_MAX_ACTIVE_READS: 'read.maxActive',
} as const;

/** Defaults < YAML file (DATANODE_CONFIG or `file`) < environment. Throws ConfigError listing every problem. */
export function loadDatanodeConfig(env: NodeJS.ProcessEnv = process.env, file?: string): DatanodeConfig {
  return loadConfig(datanodeConfigSchema, { env, envMap: DATANODE_ENV, file, fileEnvVar: 'DATANODE_CONFIG' });
}
