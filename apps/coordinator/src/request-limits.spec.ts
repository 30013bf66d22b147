import { randomBytes, randomUUID } from 'node:crypto';
import { create, toBinary } from '@bufbuild/protobuf';
import { CommitUploadRequestSchema, MAX_CHUNK_SIZE, newChunkId } from '@dfs/proto';
import { MAX_REQUEST_BYTES, commitBytesPerChunk, maxChunksPerCommit } from './request-limits.js';
import { MAX_CHUNKS_PER_FILE } from './upload-rules.js';

/** The largest CommitUpload of `chunks` chunks at `replication` the SDK can send: widest field values, UUID node ids. */
function largestCommit(chunks: number, replication: number): Uint8Array {
  const nodes = Array.from({ length: replication }, () => randomUUID());
  return toBinary(
    CommitUploadRequestSchema,
    create(CommitUploadRequestSchema, {
      uploadId: randomUUID(),
      chunks: Array.from({ length: chunks }, (_, i) => ({
        chunkId: newChunkId(),
        // Indexes near the end of the range take the most varint bytes.
        index: MAX_CHUNKS_PER_FILE - chunks + i,
        size: BigInt(MAX_CHUNK_SIZE),
        sha256: randomBytes(32),
        replicaNodeIds: nodes,
      })),
      fileSha256: randomBytes(32),
      size: BigInt(chunks) * BigInt(MAX_CHUNK_SIZE),
    }),
  );
}

describe('request limits', () => {
  it.each([1, 3, 16])('a commit of the most chunks a file of %i copies may have fits in one request', (replication) => {
    const max = maxChunksPerCommit(replication);
    expect(largestCommit(max, replication).length).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    // …and the bound gives away less than 5%: that many more would not fit.
    expect(largestCommit(Math.ceil(max * 1.05), replication).length).toBeGreaterThan(MAX_REQUEST_BYTES);
  });

  it('per-chunk estimate is an upper bound of the encoded size', () => {
    for (const replication of [1, 3, 16]) {
      const one = largestCommit(1, replication).length;
      const many = largestCommit(1001, replication).length;
      expect((many - one) / 1000).toBeLessThanOrEqual(commitBytesPerChunk(replication));
    }
  });
});
