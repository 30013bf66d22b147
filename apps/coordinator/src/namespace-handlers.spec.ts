import { create } from '@bufbuild/protobuf';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import type { HandlerContext } from '@connectrpc/connect';
import { createMetadataStore, type MetadataStore } from '@dfs/metadata';
import {
  AbortUploadRequestSchema,
  AllocateChunksRequestSchema,
  Code,
  CommitUploadRequestSchema,
  CreateUploadRequestSchema,
  DeleteRequestSchema,
  GetFileRequestSchema,
  type GetFileResponse,
  DfsError,
  ListFilesRequestSchema,
  RenameRequestSchema,
  RenewUploadRequestSchema,
  ReplicaSchema,
  StatRequestSchema,
  type CommittedChunk,
  type CreateUploadResponse,
  type RenewUploadResponse,
} from '@dfs/proto';
import { namespaceHandlers, type NamespaceOptions } from './namespace-handlers.js';
import type { Placer } from './placer.js';
import { MAX_CHUNKS_PER_FILE, maxChunksPerFile } from './upload-rules.js';

// The namespace rules on the memory store, with a stand-in placer (the
// unit's neighbours); the same handlers run over real processes in
// coordinator-cluster.spec.ts.
const KiB = 1024;
const ctx = {} as HandlerContext;
let store: MetadataStore;
let live = 3;
let handlers: ReturnType<typeof namespaceHandlers>;
const options: NamespaceOptions = { defaultReplication: 3, minReplicas: 2, uploadTtlMs: 60_000, maxPlacementsPerCall: 4, now: Date.now };

const placer: Placer = {
  liveCount: () => live,
  place: (count, { replication, excludeNodeIds }) =>
    Array.from({ length: count }, () =>
      ['n1', 'n2', 'n3', 'n4']
        .filter((id) => !excludeNodeIds?.has(id))
        .slice(0, replication)
        .map((nodeId) => create(ReplicaSchema, { nodeId, address: `127.0.0.1:${nodeId.slice(1)}` })),
    ),
  readable: (ids) => ids.map((nodeId) => create(ReplicaSchema, { nodeId, address: 'x:1' })),
};

beforeEach(async () => {
  store = await createMetadataStore({ backend: 'memory' });
  live = 3;
  handlers = namespaceHandlers(store, placer, options);
});

afterEach(() => store.close());

const createUpload = (init: Record<string, unknown>) => handlers.createUpload!(create(CreateUploadRequestSchema, init as never), ctx) as Promise<CreateUploadResponse>;

/** The CommitUpload request of an upload whose every placed chunk was written. */
function commitRequest(up: CreateUploadResponse, size: number) {
  const chunks = up.placements.map((p) => ({
    chunkId: p.chunkId,
    index: p.index,
    size: BigInt(Math.min(KiB, size - p.index * KiB)),
    sha256: new Uint8Array(32),
    replicaNodeIds: p.targets.map((t) => t.nodeId),
  })) as CommittedChunk[];
  return create(CommitUploadRequestSchema, { uploadId: up.uploadId, chunks, fileSha256: new Uint8Array(32), size: BigInt(size) });
}

async function commitFile(path: string, size = 3 * KiB): Promise<CreateUploadResponse> {
  const up = await createUpload({ path, size: BigInt(size), chunkSize: BigInt(KiB) });
  await handlers.commitUpload!(commitRequest(up, size), ctx);
  return up;
}

async function code(p: unknown): Promise<Code | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return DfsError.from(err).code;
  }
}

describe('CreateUpload', () => {
  it('places every chunk of a small file on R distinct nodes, and at most maxPlacementsPerCall', async () => {
    const small = await createUpload({ path: '/a', size: BigInt(3 * KiB), chunkSize: BigInt(KiB) });
    expect(small.placements.map((p) => p.index)).toEqual([0, 1, 2]);
    expect(small.placements.every((p) => new Set(p.targets.map((t) => t.nodeId)).size === 3)).toBe(true);
    expect(new Set(small.placements.map((p) => p.chunkId)).size).toBe(3);
    const big = await createUpload({ path: '/b', size: BigInt(10 * KiB), chunkSize: BigInt(KiB) });
    expect(big.placements).toHaveLength(4); // the rest via AllocateChunks
    const unknownSize = await createUpload({ path: '/pipe' });
    expect(unknownSize.placements).toHaveLength(0);
  });

  it('refuses an existing path without overwrite, a path below a file, and a directory', async () => {
    await commitFile('/dir/file');
    expect(await code(createUpload({ path: '/dir/file', size: 1n }))).toBe(Code.AlreadyExists);
    expect(await code(createUpload({ path: '/dir/file', size: 1n, overwrite: true }))).toBe('ok');
    expect(await code(createUpload({ path: '/dir/file/below', size: 1n }))).toBe(Code.FailedPrecondition);
    expect(await code(createUpload({ path: '/dir', size: 1n }))).toBe(Code.FailedPrecondition);
  });

  it('needs as many live nodes as copies', async () => {
    live = 2;
    expect(await code(createUpload({ path: '/x', size: 1n }))).toBe(Code.FailedPrecondition);
    expect(await code(createUpload({ path: '/x', size: 1n, replication: 2 }))).toBe('ok');
  });
});

describe('AllocateChunks', () => {
  it('places later chunks, re-places a failed one under a new id on other nodes, and checks indexes', async () => {
    const up = await createUpload({ path: '/big', size: BigInt(10 * KiB), chunkSize: BigInt(KiB) });
    const more = await handlers.allocateChunks!(create(AllocateChunksRequestSchema, { uploadId: up.uploadId, indexes: [4, 5] }), ctx);
    expect(more.placements!.map((p) => p.index)).toEqual([4, 5]);
    const again = await handlers.allocateChunks!(create(AllocateChunksRequestSchema, { uploadId: up.uploadId, indexes: [0], excludeNodeIds: ['n1'] }), ctx);
    expect(again.placements![0]!.chunkId).not.toBe(up.placements[0]!.chunkId);
    expect(again.placements![0]!.targets!.map((t) => t.nodeId)).not.toContain('n1');
    expect((await store.getUpload(up.uploadId))!.abandonedChunkIds).toContain(up.placements[0]!.chunkId);
    expect(await code(handlers.allocateChunks!(create(AllocateChunksRequestSchema, { uploadId: up.uploadId, indexes: [10] }), ctx))).toBe(Code.InvalidArgument);
    expect(await code(handlers.allocateChunks!(create(AllocateChunksRequestSchema, { uploadId: up.uploadId, indexes: [1, 1] }), ctx))).toBe(Code.InvalidArgument);
    expect(await code(handlers.allocateChunks!(create(AllocateChunksRequestSchema, { uploadId: 'nope', indexes: [1] }), ctx))).toBe(Code.NotFound);
  });
});

describe('RenewUpload', () => {
  it('moves an open upload\'s expiry a TTL past now, and answers NotFound once it has ended', async () => {
    const up = await createUpload({ path: '/renew', size: 10n });
    const before = (await store.getUpload(up.uploadId))!.expiresAt.getTime();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const renewed = (await handlers.renewUpload!(create(RenewUploadRequestSchema, { uploadId: up.uploadId }), ctx)) as RenewUploadResponse;
    const after = (await store.getUpload(up.uploadId))!.expiresAt.getTime();
    expect(after).toBeGreaterThan(before);
    expect(timestampMs(renewed.expiresAt!)).toBe(after);
    await handlers.abortUpload!(create(AbortUploadRequestSchema, { uploadId: up.uploadId }), ctx);
    expect(await code(handlers.renewUpload!(create(RenewUploadRequestSchema, { uploadId: up.uploadId }), ctx))).toBe(Code.NotFound);
    expect(await code(handlers.renewUpload!(create(RenewUploadRequestSchema, { uploadId: '' }), ctx))).toBe(Code.NotFound);
  });
});

describe('files too large for one commit', () => {
  // A commit carries every chunk of the file in one request of at most
  // MAX_REQUEST_BYTES: an upload it could not carry is refused when it
  // starts, or at the first chunk a stream cannot have, not after its data is written.
  const MiB = 1024 * KiB;

  it('refuses a declared size with more chunks than a commit of its copies carries, and says to use larger chunks', async () => {
    const max = maxChunksPerFile(3);
    expect(max).toBeLessThan(MAX_CHUNKS_PER_FILE);
    expect(await code(createUpload({ path: '/fits', size: BigInt(max) * BigInt(MiB), chunkSize: BigInt(MiB) }))).toBe('ok');
    const err = await createUpload({ path: '/huge', size: BigInt(max) * BigInt(MiB) + 1n, chunkSize: BigInt(MiB) }).catch((e: unknown) => DfsError.from(e));
    expect(err).toMatchObject({ code: Code.InvalidArgument, message: expect.stringMatching(/more than \d+ chunks .* use larger chunks/) });
    // Fewer copies, smaller commits: the same file fits at replication 1.
    expect(await code(createUpload({ path: '/huge', size: BigInt(max) * BigInt(MiB) + 1n, chunkSize: BigInt(MiB), replication: 1 }))).toBe('ok');
  });

  it('stops a stream at the first chunk index its commit could not carry', async () => {
    const up = await createUpload({ path: '/stream', chunkSize: BigInt(MiB) });
    const max = maxChunksPerFile(3);
    const allocate = (index: number) => handlers.allocateChunks!(create(AllocateChunksRequestSchema, { uploadId: up.uploadId, indexes: [index] }), ctx);
    expect(await code(allocate(max - 1))).toBe('ok');
    const err = await Promise.resolve(allocate(max)).catch((e: unknown) => DfsError.from(e));
    expect(err).toMatchObject({ code: Code.InvalidArgument, message: expect.stringMatching(/at most \d+ chunks .* larger chunks/) });
  });
});

describe('GetFile', () => {
  const getFile = (init: Record<string, unknown>) => handlers.getFile!(create(GetFileRequestSchema, init as never), ctx) as Promise<GetFileResponse>;

  it('pages the chunk list with offsets, and refuses to mix versions', async () => {
    await commitFile('/f', 3 * KiB + 512);
    const first = await getFile({ path: '/f', maxChunks: 3 });
    expect(first.chunks.map((c) => [c.index, Number(c.offset), Number(c.size)])).toEqual([
      [0, 0, KiB],
      [1, KiB, KiB],
      [2, 2 * KiB, KiB],
    ]);
    expect(first.nextIndex).toBe(3);
    const rest = await getFile({ path: '/f', fromIndex: first.nextIndex, maxChunks: 3, fileId: first.file!.fileId });
    expect(rest.chunks.map((c) => [c.index, Number(c.offset), Number(c.size)])).toEqual([[3, 3 * KiB, 512]]);
    expect(rest.nextIndex).toBe(first.file!.chunkCount);
    expect((await getFile({ path: '/f' })).chunks).toHaveLength(4);

    await expect(getFile({ path: '/f', fromIndex: 5 })).rejects.toMatchObject({ code: Code.OutOfRange, rawMessage: expect.stringMatching(/ask for 0 to 4/) });
    await expect(getFile({ path: '/f', maxChunks: 10_001 })).rejects.toMatchObject({ code: Code.InvalidArgument });
    await handlers.delete!(create(DeleteRequestSchema, { path: '/f' }), ctx);
    await commitFile('/f', 2 * KiB);
    await expect(getFile({ path: '/f', fromIndex: 3, fileId: first.file!.fileId })).rejects.toMatchObject({ code: Code.FailedPrecondition });
  });

  it('says a directory (and "/") is one, FailedPrecondition pointing at ListFiles, and a missing path is NotFound', async () => {
    await commitFile('/dir/f');
    const isDirectory = (path: string) => ({ code: Code.FailedPrecondition, rawMessage: `${path} is a directory: list it with ListFiles` });
    await expect(getFile({ path: '/dir' })).rejects.toMatchObject(isDirectory('/dir'));
    await expect(getFile({ path: '/' })).rejects.toMatchObject(isDirectory('/'));
    await expect(getFile({ path: '/di' })).rejects.toMatchObject({ code: Code.NotFound });
    await expect(getFile({ path: '/dir/f/g' })).rejects.toMatchObject({ code: Code.NotFound });
  });
});

describe('namespace reads and changes', () => {
  it('stats files and implied directories, lists with page sizes, refuses "/" for delete and rename', async () => {
    await commitFile('/d/one');
    await commitFile('/d/two');
    expect((await handlers.stat!(create(StatRequestSchema, { path: '/d' }), ctx)).file!.isDirectory).toBe(true);
    expect(Number((await handlers.stat!(create(StatRequestSchema, { path: '/d/one' }), ctx)).file!.size)).toBe(3 * KiB);
    expect(await code(handlers.stat!(create(StatRequestSchema, { path: '/nope' }), ctx))).toBe(Code.NotFound);
    const page = await handlers.listFiles!(create(ListFilesRequestSchema, { path: '/d', pageSize: 1 }), ctx);
    expect(page.entries!.map((e) => e.path)).toEqual(['/d/one']);
    const next = await handlers.listFiles!(create(ListFilesRequestSchema, { path: '/d', pageSize: 1, cursor: page.nextCursor }), ctx);
    expect(next.entries!.map((e) => e.path)).toEqual(['/d/two']);
    await expect(handlers.listFiles!(create(ListFilesRequestSchema, { path: '/d', pageSize: 10_001 }), ctx)).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: 'page_size 10001 is over 10000: ask for 1 to 10000 entries per page (0 for the default, 1000)',
    });
    expect(await code(handlers.listFiles!(create(ListFilesRequestSchema, { path: '/d/one' }), ctx))).toBe(Code.FailedPrecondition);
    expect(await code(handlers.delete!(create(DeleteRequestSchema, { path: '/', recursive: true }), ctx))).toBe(Code.InvalidArgument);
    expect(await code(handlers.rename!(create(RenameRequestSchema, { from: '/', to: '/x' }), ctx))).toBe(Code.InvalidArgument);
    expect(await code(handlers.delete!(create(DeleteRequestSchema, { path: '/d' }), ctx))).not.toBe('ok'); // a tree needs recursive
    expect(Number((await handlers.delete!(create(DeleteRequestSchema, { path: '/d', recursive: true }), ctx)).filesDeleted)).toBe(2);
  });

  it('refuses a commit whose upload is aborted between its check and the commit (NotFound): no file, and its chunks queued for deletion', async () => {
    const up = await createUpload({ path: '/raced', size: BigInt(2 * KiB), chunkSize: BigInt(KiB) });
    // CommitUpload reads the upload, then an AbortUpload (or the expiry sweep) removes it before the commit.
    const racing = Object.assign(Object.create(store) as MetadataStore, {
      getUpload: async (uploadId: string) => {
        const stale = await store.getUpload(uploadId);
        await store.abortUpload(uploadId, 'aborted');
        return stale;
      },
    });
    const committed = jest.fn();
    const raced = namespaceHandlers(racing, placer, { ...options, onCommitted: committed });
    expect(await code(raced.commitUpload!(commitRequest(up, 2 * KiB), ctx))).toBe(Code.NotFound);
    expect(await code(handlers.stat!(create(StatRequestSchema, { path: '/raced' }), ctx))).toBe(Code.NotFound);
    expect(await store.getFile('/raced')).toBeUndefined();
    expect(await store.getCommittedUpload(up.uploadId)).toBeUndefined();
    expect(committed).not.toHaveBeenCalled();
    const ids = up.placements.map((p) => p.chunkId);
    const queued = (await store.peekGc(10)).flatMap((e) => (e.kind === 'chunks' && e.reason === 'aborted' ? e.chunkIds : []));
    expect(queued.sort()).toEqual([...ids].sort());
    expect(await store.referencedChunks(ids)).toEqual(new Set());
  });

  it('rejects a commit for an unknown upload, and one that misses a chunk', async () => {
    expect(await code(handlers.commitUpload!(create(CommitUploadRequestSchema, { uploadId: 'nope' }), ctx))).toBe(Code.NotFound);
    const up = await createUpload({ path: '/partial', size: BigInt(2 * KiB), chunkSize: BigInt(KiB) });
    const p = up.placements[0]!;
    const one = [{ chunkId: p.chunkId, index: 0, size: BigInt(KiB), sha256: new Uint8Array(32), replicaNodeIds: ['n1', 'n2'] }] as CommittedChunk[];
    expect(
      await code(handlers.commitUpload!(create(CommitUploadRequestSchema, { uploadId: up.uploadId, chunks: one, fileSha256: new Uint8Array(32), size: BigInt(2 * KiB) }), ctx)),
    ).toBe(Code.InvalidArgument);
    expect(await code(handlers.stat!(create(StatRequestSchema, { path: '/partial' }), ctx))).toBe(Code.NotFound);
  });
});

describe('CommitUpload of an upload that declared no size', () => {
  const commit = (uploadId: string, size: bigint, chunks: CommittedChunk[] = []) =>
    handlers.commitUpload!(create(CommitUploadRequestSchema, { uploadId, chunks, fileSha256: new Uint8Array(32), size }), ctx);

  it.each([
    ['negative', -1n, /file size -1 is negative/],
    ['far negative', -(2n ** 63n), /is negative/],
    ['past the most chunks a file may have', BigInt(maxChunksPerFile(3)) * BigInt(KiB) + 1n, new RegExp(`more than ${maxChunksPerFile(3)} chunks of 1024 B`)],
    ['past 2^53 (a double would round it)', 2n ** 63n - 1n, /more than \d+ chunks/],
  ])('refuses a %s size (InvalidArgument); nothing is stored and the upload stays open', async (_name, size, message) => {
    const up = await createUpload({ path: '/unsized', chunkSize: BigInt(KiB) });
    await expect(commit(up.uploadId, size)).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringMatching(message) });
    expect(await store.getFile('/unsized')).toBeUndefined();
    expect(await store.getUpload(up.uploadId)).toBeDefined();
    // The same upload still commits with its true size.
    expect(Number((await commit(up.uploadId, 0n)).file!.size)).toBe(0);
  });
});

describe('CommitUpload replicas', () => {
  /** A 1-chunk upload, its chunk reported on `replicas`. */
  async function commitOne(replicas: (placed: string[]) => string[], replace?: string[]) {
    const up = await createUpload({ path: '/r', size: BigInt(KiB), chunkSize: BigInt(KiB), replication: 3 });
    let placement: { chunkId?: string; targets?: { nodeId?: string }[] } = up.placements[0]!;
    if (replace) {
      const again = await handlers.allocateChunks!(create(AllocateChunksRequestSchema, { uploadId: up.uploadId, indexes: [0], excludeNodeIds: replace }), ctx);
      placement = again.placements![0]!;
    }
    const placed = placement.targets!.map((t) => t.nodeId!);
    const chunk = { chunkId: placement.chunkId, index: 0, size: BigInt(KiB), sha256: new Uint8Array(32), replicaNodeIds: replicas(placed) };
    const request = create(CommitUploadRequestSchema, { uploadId: up.uploadId, chunks: [chunk] as CommittedChunk[], fileSha256: new Uint8Array(32), size: BigInt(KiB) });
    return { up, commit: () => handlers.commitUpload!(request, ctx) };
  }

  it('accepts the placed nodes, or some of them', async () => {
    expect(await code((await commitOne((placed) => placed)).commit())).toBe('ok');
    await handlers.delete!(create(DeleteRequestSchema, { path: '/r' }), ctx);
    expect(await code((await commitOne((placed) => placed.slice(1))).commit())).toBe('ok');
  });

  it('accepts the nodes of the latest placement of a re-placed chunk', async () => {
    const { commit } = await commitOne((placed) => {
      expect(placed).toEqual(['n2', 'n3', 'n4']);
      return placed;
    }, ['n1']);
    expect(await code(commit())).toBe('ok');
  });

  it.each([
    ['a node it was never placed on', (placed: string[]) => [placed[0]!, 'evil'], undefined, 'evil'],
    ['a node of the placement it replaced', (placed: string[]) => ['n1', ...placed.slice(1)], ['n1'], 'n1'],
  ])('refuses %s (InvalidArgument naming the chunk and the node); nothing is stored', async (_name, replicas, replace, unknown) => {
    const { up, commit } = await commitOne(replicas, replace);
    await expect(commit()).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringContaining(`chunk 0 names replica "${unknown}", which it was not placed on`) });
    expect(await store.getFile('/r')).toBeUndefined();
    expect(await store.getUpload(up.uploadId)).toBeDefined();
  });
});

describe('AbortUpload', () => {
  const abort = (uploadId: string) => handlers.abortUpload!(create(AbortUploadRequestSchema, { uploadId }), ctx);

  it('aborts an open upload, and is OK for an unknown or already aborted id', async () => {
    const up = await createUpload({ path: '/open', size: BigInt(KiB), chunkSize: BigInt(KiB) });
    expect(await code(abort(up.uploadId))).toBe('ok');
    expect(await store.getUpload(up.uploadId)).toBeUndefined();
    expect(await code(abort(up.uploadId))).toBe('ok');
    expect(await code(abort('never-heard-of'))).toBe('ok');
    expect(await code(abort(''))).toBe('ok');
  });

  it('refuses a committed upload (FailedPrecondition): the file landed, and stays', async () => {
    const up = await commitFile('/landed');
    const file = await store.getFile('/landed');
    await expect(abort(up.uploadId)).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      rawMessage: expect.stringMatching(new RegExp(`upload ${up.uploadId} was already committed \\(as /landed, file ${file!.fileId}\\), so it cannot be aborted`)),
    });
    expect((await store.getFile('/landed'))!.fileId).toBe(file!.fileId);
  });
});
