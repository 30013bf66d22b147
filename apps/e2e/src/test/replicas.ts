// Looking under the SDK: a file's chunk list as the coordinator gives it, and
// every copy of every chunk read straight from its datanode.
import { createHash } from 'node:crypto';
import { createClientPool, type ClientPool } from '@dfs/client-pool';
import { CoordinatorService, DatanodeService, type ChunkLocation } from '@dfs/proto';
import { readChunkStream } from '@dfs/streamer';

/** A file's chunks in index order, every page of GetFile. */
export async function chunksOf(coordinator: string, path: string, pool?: ClientPool): Promise<ChunkLocation[]> {
  const own = pool ?? createClientPool();
  try {
    const client = own.client(CoordinatorService, coordinator);
    const first = await client.getFile({ path });
    const chunks = [...first.chunks];
    for (let next = first.nextIndex; next < first.file!.chunkCount; ) {
      const page = await client.getFile({ path, fromIndex: next, fileId: first.file!.fileId });
      chunks.push(...page.chunks);
      next = page.nextIndex;
    }
    return chunks;
  } finally {
    if (!pool) await own.close();
  }
}

/**
 * Reads every copy of every chunk of `path` from its own datanode (each read
 * verifies the block digests and the chunk checksum) and checks there are
 * `replication` copies on distinct nodes. Returns the SHA-256 of the file as
 * assembled from the first copies, to compare with what was uploaded; with
 * `only`, reads just those chunks (and returns no SHA-256).
 */
export async function readEveryReplica(
  coordinator: string,
  path: string,
  replication: number,
  options: { only?: ReadonlySet<string> } = {},
): Promise<{ sha256: string; chunks: number }> {
  const pool = createClientPool();
  try {
    const chunks = await chunksOf(coordinator, path, pool);
    const file = createHash('sha256');
    for (const chunk of chunks) {
      // With `only`, just those chunks are read (the file's SHA-256 is then not returned).
      if (options.only && !options.only.has(chunk.chunkId)) continue;
      const nodes = chunk.replicas.map((r) => r.nodeId);
      if (new Set(nodes).size !== nodes.length || nodes.length !== replication) {
        throw new Error(`chunk ${chunk.index} of ${path} is on ${nodes.length} node(s) [${nodes.join(', ')}], expected ${replication} distinct`);
      }
      for (const [i, replica] of chunk.replicas.entries()) {
        const copy = createHash('sha256');
        let size = 0;
        for await (const part of readChunkStream(pool.client(DatanodeService, replica.address), { chunkId: chunk.chunkId, expectedSha256: chunk.sha256 })) {
          copy.update(part);
          if (i === 0) file.update(part);
          size += part.length;
        }
        if (BigInt(size) !== chunk.size) throw new Error(`copy of chunk ${chunk.index} on ${replica.nodeId} has ${size} bytes, expected ${chunk.size}`);
      }
    }
    return { sha256: options.only ? '' : file.digest('hex'), chunks: chunks.length };
  } finally {
    await pool.close();
  }
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
