import { randomBytes } from 'node:crypto';
import type { CommitInput } from '@dfs/metadata';
import { newChunkId } from '@dfs/proto';

/**
 * A metadata-store commit of a 1 KiB file of one chunk, as CommitUpload
 * makes it (checksums are zeros: the store does not check them), for
 * benchmarks that fill a store without the RPCs.
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
