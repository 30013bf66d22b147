import { randomBytes } from 'node:crypto';
import type { CommitInput, UploadRecord } from '@dfs/metadata';
import { newChunkId } from '@dfs/proto';

/** How long an upload a benchmark opens stays open: longer than any of its phases. */
const UPLOAD_TTL_MS = 3600_000;

/**
 * A metadata-store commit of a 1 KiB file of one chunk, as CommitUpload
 * makes it (checksums are zeros: the store does not check them), for
 * benchmarks that fill a store without the RPCs. Its upload must be open
 * (uploadFor) before the commit, as CreateUpload leaves it.
 */
export function commitInput(path: string, replicas: string[] = ['n1', 'n2', 'n3'], chunkId = newChunkId()): CommitInput {
  return {
    uploadId: randomBytes(16).toString('hex'),
    path,
    size: 1024,
    sha256: new Uint8Array(32),
    chunkSize: 1024,
    replication: replicas.length,
    overwrite: false,
    chunks: [{ chunkId, index: 0, size: 1024, sha256: new Uint8Array(32), replicas }],
  };
}

/** The upload CreateUpload would have stored for `input`, its chunks placed where the input says they are. */
export function uploadFor(input: CommitInput): UploadRecord {
  const { uploadId, path, size, chunkSize, replication, overwrite, chunks } = input;
  const now = Date.now();
  const placements = chunks.map((c) => ({ index: c.index, chunkId: c.chunkId, nodeIds: [...c.replicas] }));
  return { uploadId, path, size, chunkSize, replication, overwrite, createdAt: new Date(now), expiresAt: new Date(now + UPLOAD_TTL_MS), placements, abandonedChunkIds: [] };
}
