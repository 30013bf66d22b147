// Fsck: the health of every file under a path, from the copies the nodes
// reported. Read-only. It needs the full view (every node's report since the
// coordinator started): before that, a chunk would look missing that is not.
import type { FileRecord, MetadataStore } from '@dfs/metadata';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { ChunkHealth, Code, DfsError, validatePath, type FsckFileSchema, type FsckRequest, type FsckResponseSchema } from '@dfs/proto';
import { EventLoopPacer } from './event-loop-pacer.js';
import type { Healing } from './healing.js';

/** Files listed in `problems` at most (the counts cover every file). */
const MAX_PROBLEMS = 10_000;
const RANK = { healthy: 0, 'under-replicated': 1, missing: 2, corrupt: 3 } as const;
const HEALTH = { healthy: ChunkHealth.HEALTHY, 'under-replicated': ChunkHealth.UNDER_REPLICATED, missing: ChunkHealth.MISSING, corrupt: ChunkHealth.CORRUPT };

export async function fsck(store: MetadataStore, healing: Healing, req: FsckRequest): Promise<MessageInitShape<typeof FsckResponseSchema>> {
  const path = validatePath(req.path || '/');
  if (!healing.viewComplete()) {
    throw new DfsError(
      Code.Unavailable,
      `fsck needs every datanode's chunk report, and ${healing.reportsMissing()} node(s) have not sent theirs since the coordinator started: retry in a few seconds`,
    );
  }
  const counts = { healthy: 0, 'under-replicated': 0, missing: 0, corrupt: 0 };
  const problems: MessageInitShape<typeof FsckFileSchema>[] = [];
  let seen = 0;
  // A tree of a million files is a million chunk-list reads, answered synchronously by the embedded store.
  const pacer = new EventLoopPacer();
  for await (const file of filesUnder(store, path)) {
    seen++;
    if (pacer.due()) await pacer.yield();
    let worst: keyof typeof RANK = 'healthy';
    const unhealthy: string[] = [];
    for await (const chunk of store.readChunks(file.fileId)) {
      if (pacer.due()) await pacer.yield();
      const health = healing.healer.healthOf(chunk.chunkId, file.replication);
      if (health === 'healthy') continue;
      unhealthy.push(chunk.chunkId);
      if (RANK[health] > RANK[worst]) worst = health;
    }
    counts[worst]++;
    if (worst !== 'healthy' && problems.length < MAX_PROBLEMS) problems.push({ path: file.path, health: HEALTH[worst], unhealthyChunkIds: unhealthy });
  }
  if (seen === 0 && path !== '/') throw new DfsError(Code.NotFound, `${path} does not exist`);
  return {
    filesHealthy: BigInt(counts.healthy),
    filesUnderReplicated: BigInt(counts['under-replicated']),
    filesMissing: BigInt(counts.missing),
    filesCorrupt: BigInt(counts.corrupt),
    problems,
  };
}

async function* filesUnder(store: MetadataStore, path: string): AsyncGenerator<FileRecord> {
  const file = path === '/' ? undefined : await store.getFile(path);
  if (file) {
    yield file;
    return;
  }
  let cursor: string | undefined;
  do {
    const page = await store.list(path, { recursive: true, limit: 1000, cursor });
    for (const entry of page.entries) if (entry.kind === 'file') yield entry.file;
    cursor = page.nextCursor;
  } while (cursor);
}
