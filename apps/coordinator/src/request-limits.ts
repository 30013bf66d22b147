import { MAX_FRAME_SIZE } from '@dfs/proto';

/**
 * Largest request the coordinator reads (Connect's default is 4 GiB, all of
 * it buffered before a handler runs). Every DFS client (SDK, CLI, datanodes)
 * sends through @dfs/client-pool, whose writeMaxBytes is this same 4 MiB +
 * 64 KiB, so nothing they send is refused. The largest requests: a
 * CommitUpload (see maxChunksPerCommit) and a datanode's ReportChunks batch
 * of 10,000 ids (~340 KB).
 */
export const MAX_REQUEST_BYTES = MAX_FRAME_SIZE + 64 * 1024;

/** Datanodes name themselves with a UUID (apps/datanode node-identity.ts). */
const NODE_ID_BYTES = 36;
/** A CommitUpload's own fields (upload id, file checksum, size) and framing, with room to spare. */
const COMMIT_FIXED_BYTES = 1024;

/**
 * The most bytes one chunk adds to a CommitUpload request, protobuf framing
 * included: id (2+32), index (1+3: below MAX_CHUNKS_PER_FILE), size (1+4:
 * at most 64 MiB), checksum (2+32), the entry's own tag and length (≤ 1+3),
 * and per replica a node id (2+36). Measured: 193 B at 3 replicas, 688 B at 16.
 */
export function commitBytesPerChunk(replication: number): number {
  return 81 + replication * (NODE_ID_BYTES + 2);
}

/**
 * Chunks one CommitUpload can carry at `replication` within
 * MAX_REQUEST_BYTES: ~21,800 at 3 copies (~170 GiB in 8 MiB chunks, ~1.3 TiB
 * in 64 MiB ones), ~6,200 at 16. A file must fit in one commit, so uploads
 * larger than that are refused when they start (or when a stream reaches
 * it), not after all their data is written.
 */
export function maxChunksPerCommit(replication: number): number {
  return Math.floor((MAX_REQUEST_BYTES - COMMIT_FIXED_BYTES) / commitBytesPerChunk(replication));
}
