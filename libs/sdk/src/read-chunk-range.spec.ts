import { create } from '@bufbuild/protobuf';
import { ChunkLocationSchema, Code, DfsError as WireError, GetFileResponseSchema, type ChunkLocation, type GetFileRequest } from '@dfs/proto';
import { chunkLocations } from './chunk-locations.js';
import type { ClientContext } from './client-context.js';
import type { FileInfo } from './file-info.js';
import { readChunkRange } from './read-chunk-range.js';

// readChunkRange when every replica fails, against a fake coordinator and
// datanodes that fail at once: what it concludes, and when it asks the
// coordinator again first. (Reading from where a chunk is now is covered on a
// real cluster, in read-while-changed.spec.ts.)

const FILE: FileInfo = { path: '/f', isDirectory: false, size: 300, sha256: 'ab', chunkSize: 100, replication: 2, chunkCount: 3, fileId: 'v1' };
const CHUNK = location(['a', 'b']);

function location(nodeIds: string[]): ChunkLocation {
  return create(ChunkLocationSchema, { chunkId: 'c1', index: 1, offset: 100n, size: 100n, replicas: nodeIds.map((n) => ({ nodeId: n, address: `${n}:1` })) });
}

/** A client whose datanodes fail every read as `failures` says (by node id), and whose coordinator answers GetFile with `getFile`. */
function fakeContext(failures: Record<string, WireError>, getFile: (req: GetFileRequest) => Promise<unknown>) {
  const reads: string[] = [];
  const getFileCalls: GetFileRequest[] = [];
  const ctx = {
    idleTimeoutMs: 1_000,
    coordinator: (call: (client: unknown, options: object) => Promise<unknown>) =>
      call(
        {
          getFile: (req: GetFileRequest) => {
            getFileCalls.push(req);
            return getFile(req);
          },
        },
        {},
      ),
    datanode: (address: string) => ({
      readChunk: () => {
        const nodeId = address.split(':')[0]!;
        reads.push(nodeId);
        return { [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(failures[nodeId] ?? new WireError(Code.Unavailable, 'down')) }) };
      },
    }),
  } as unknown as ClientContext;
  return { ctx, reads, getFileCalls };
}

const notFound = () => new WireError(Code.NotFound, 'chunk c1 is not stored on this node');
const damaged = () => new WireError(Code.DataLoss, 'block 0 does not match its digest', { reason: 'CHECKSUM_MISMATCH' });

async function readError(ctx: ClientContext, chunk = CHUNK): Promise<unknown> {
  try {
    for await (const piece of readChunkRange(ctx, FILE, chunk, 0, 100, new AbortController().signal)) void piece;
  } catch (err) {
    return err;
  }
  throw new Error('the read did not fail');
}

describe('readChunkRange, when no listed replica has the chunk', () => {
  it('fails with FailedPrecondition when the version is gone: another at the path, or none', async () => {
    for (const answer of [new WireError(Code.FailedPrecondition, '/f changed'), new WireError(Code.NotFound, '/f does not exist')]) {
      const { ctx, getFileCalls } = fakeContext({ a: notFound(), b: notFound() }, () => Promise.reject(answer));
      expect(await readError(ctx)).toMatchObject({ code: Code.FailedPrecondition, reason: 'VERSION_GONE', rawMessage: '/f was replaced, moved or deleted while it was being read; read it again' });
      expect(getFileCalls).toEqual([expect.objectContaining({ path: '/f', fileId: 'v1', fromIndex: 1, maxChunks: 1 })]);
    }
  });

  it('fails with DataLoss when the coordinator names no other replica', async () => {
    const { ctx, reads, getFileCalls } = fakeContext({ a: notFound(), b: notFound() }, async () => create(GetFileResponseSchema, { chunks: [location(['b', 'a'])], nextIndex: 2 }));
    expect(await readError(ctx)).toMatchObject({ code: Code.DataLoss, reason: 'CORRUPT_CHUNK', rawMessage: expect.stringMatching(/^\/f: no replica has good bytes of chunk 1 .*; the file is damaged$/) });
    expect(reads).toEqual(['a', 'b']);
    expect(getFileCalls).toHaveLength(1);
  });

  it('tries the replicas the coordinator names now, once, and fails with DataLoss when they have no copy either', async () => {
    const { ctx, reads, getFileCalls } = fakeContext({ a: notFound(), b: damaged(), c: notFound() }, async () => create(GetFileResponseSchema, { chunks: [location(['c', 'a'])], nextIndex: 2 }));
    expect(await readError(ctx)).toMatchObject({ code: Code.DataLoss, rawMessage: expect.stringMatching(/a:1: chunk c1 is not stored.*b:1: block 0.*c:1: chunk c1 is not stored/) });
    expect(reads).toEqual(['a', 'b', 'c']);
    expect(getFileCalls).toHaveLength(1);
  });

  it('fails with Unavailable, not DataLoss, when a replica tried after the re-check could not be reached', async () => {
    const { ctx, reads } = fakeContext({ a: notFound(), b: notFound() }, async () => create(GetFileResponseSchema, { chunks: [location(['c'])], nextIndex: 2 }));
    expect(await readError(ctx)).toMatchObject({ code: Code.Unavailable });
    // Two passes over c: it may have been briefly away.
    expect(reads).toEqual(['a', 'b', 'c', 'c']);
  });

  it('fails with the coordinator\'s error, not DataLoss, when the coordinator cannot be asked', async () => {
    const { ctx } = fakeContext({ a: notFound(), b: notFound() }, () => Promise.reject(new WireError(Code.Unavailable, 'no coordinator')));
    expect(await readError(ctx)).toMatchObject({ code: Code.Unavailable, retryable: true, rawMessage: expect.stringMatching(/no listed replica of chunk 1 has it .*asking the coordinator where it is now failed: no coordinator$/) });
  });

  it('fails with FailedPrecondition when the coordinator lists another chunk at that index', async () => {
    const other = create(ChunkLocationSchema, { ...location(['c']), chunkId: 'c2' });
    const { ctx, reads } = fakeContext({ a: notFound(), b: notFound() }, async () => create(GetFileResponseSchema, { chunks: [other], nextIndex: 2 }));
    expect(await readError(ctx)).toMatchObject({ code: Code.FailedPrecondition });
    expect(reads).toEqual(['a', 'b']);
  });
});

describe('readChunkRange, when every replica has damaged bytes', () => {
  it('fails with DataLoss without asking the coordinator', async () => {
    const { ctx, getFileCalls } = fakeContext({ a: damaged(), b: damaged() }, () => Promise.reject(new Error('not to be called')));
    expect(await readError(ctx)).toMatchObject({ code: Code.DataLoss, reason: 'CORRUPT_CHUNK' });
    expect(getFileCalls).toEqual([]);
  });
});

describe('chunkLocations', () => {
  it('fails with FailedPrecondition when the file is deleted before a page is fetched', async () => {
    const { ctx } = fakeContext({}, () => Promise.reject(new WireError(Code.NotFound, '/f does not exist')));
    await expect(chunkLocations(ctx, FILE, 0, new AbortController().signal).next()).rejects.toMatchObject({ code: Code.FailedPrecondition, rawMessage: expect.stringMatching(/^\/f was replaced, moved or deleted/) });
  });
});
