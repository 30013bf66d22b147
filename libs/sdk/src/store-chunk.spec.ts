import { createHash, randomBytes } from 'node:crypto';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Code, chunkSha256 } from '@dfs/proto';
import { eventually } from '@dfs/test-cluster';
import type { ChunkBody } from './chunk-source.js';
import { openFileChunkSource } from './file-chunk-source.js';
import { PlacementQueue } from './placement-queue.js';
import { storeChunk, type ChunkWriteContext } from './store-chunk.js';
import { KiB, scratchDir } from './test/sources.js';
import { useSdkCluster } from './test/use-sdk-cluster.js';

// Chunk writes of every upload of a client share its maxChunkWrites slots,
// which bound its memory however many uploads run at once (a chunk of 8 MiB
// or more takes a slot, a smaller one a share by its size). Real cluster;
// the bodies' frame sources are held open by the test, so a write in flight
// is one whose source is open.
jest.setTimeout(120_000);

const SMALL = 64 * KiB;
const LARGE = 8 * 1024 * KiB;
const sdk = useSdkCluster('store-chunk', { datanodes: 3, replication: 3, client: 'context', clientOptions: { maxChunkWrites: 2 } });

/** Bodies whose frame sources stay open after their bytes until `open.release()`. */
function gatedBodies(count: number, size: number): { bodies: ChunkBody[]; open: { now: number; most: number; release: () => void } } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const open = { now: 0, most: 0, release };
  const bodies = Array.from({ length: count }, (_, index): ChunkBody => {
    const data = randomBytes(size);
    return {
      index,
      offset: index * size,
      size,
      sha256: chunkSha256(data),
      origin: 'test bytes',
      async *read() {
        open.now++;
        open.most = Math.max(open.most, open.now);
        try {
          yield data;
          await gate;
        } finally {
          open.now--;
        }
      },
      release: async () => undefined,
    };
  });
  return { bodies, open };
}

async function writeContext(chunks: number, size: number): Promise<ChunkWriteContext> {
  const { ctx } = sdk;
  const created = await ctx.coordinator((c, o) => c.createUpload({ path: `/store-chunk/${randomBytes(4).toString('hex')}`, size: BigInt(chunks * size), chunkSize: BigInt(size), replication: 3 }, o));
  return { ctx, uploadId: created.uploadId, placements: new PlacementQueue(ctx, created.uploadId, created.placements, chunks), failedNodes: new Set() };
}

describe('storeChunk', () => {
  it('runs at most maxChunkWrites writes of large chunks at once across uploads, and the rest as slots free up', async () => {
    const { bodies, open } = gatedBodies(6, LARGE);
    const uploads = [await writeContext(3, LARGE), await writeContext(3, LARGE)];
    const stored = bodies.map((body, i) => storeChunk(uploads[i % 2]!, { ...body, index: Math.floor(i / 2) }, new AbortController().signal));
    // Every other write has asked for a slot and been made to wait (not merely
    // not started yet): none starts while two hold the slots.
    expect(await eventually(async () => open.now === 2 && sdk.ctx.chunkWrites.waiting === 4)).toBe(true);
    expect(open.most).toBe(2);
    open.release();
    const chunks = await Promise.all(stored);
    expect(chunks.map((c) => c.replicaNodeIds.length)).toEqual([3, 3, 3, 3, 3, 3]);
    expect(open.most).toBe(2);
  });

  it('runs eight times as many writes of chunks of one frame or less', async () => {
    const { bodies, open } = gatedBodies(17, SMALL);
    const w = await writeContext(17, SMALL);
    const stored = bodies.map((body) => storeChunk(w, body, new AbortController().signal));
    expect(await eventually(async () => open.now === 16 && sdk.ctx.chunkWrites.waiting === 1)).toBe(true);
    open.release();
    expect(await Promise.all(stored)).toHaveLength(17);
    expect(open.most).toBe(16);
    expect(sdk.ctx.chunkWrites.inUse).toBe(0);
  });

  it('gives up waiting for a slot when aborted, and leaves the slots free', async () => {
    const { bodies, open } = gatedBodies(3, LARGE);
    const w = await writeContext(3, LARGE);
    const holders = bodies.slice(0, 2).map((body) => storeChunk(w, body, new AbortController().signal));
    expect(await eventually(async () => open.now === 2)).toBe(true);
    const waiting = new AbortController();
    const third = storeChunk(w, bodies[2]!, waiting.signal);
    // Aborted once it is queued for a slot, not before it asks.
    expect(await eventually(async () => sdk.ctx.chunkWrites.waiting === 1)).toBe(true);
    waiting.abort(new Error('caller gave up'));
    await expect(third).rejects.toThrow('caller gave up');
    expect(sdk.ctx.chunkWrites.waiting).toBe(0);
    // The two holders still hold exactly their two slots: the abort released nothing it did not take.
    expect(sdk.ctx.chunkWrites.inUse).toBe(16);
    expect(open.most).toBe(2);
    open.release();
    await Promise.all(holders);
    expect(sdk.ctx.chunkWrites.inUse).toBe(0);
  });
});

describe('storeChunk, when the datanodes find other bytes than the checksum says', () => {
  it('fails with FailedPrecondition after one attempt, blaming no node, when the local file was rewritten in place after it was hashed', async () => {
    const scratch = await scratchDir();
    try {
      const path = join(scratch.dir, 'edited.bin');
      await writeFile(path, randomBytes(SMALL));
      const source = await openFileChunkSource(path);
      try {
        const chunks = source.chunks(SMALL, createHash('sha256'), new AbortController().signal)[Symbol.asyncIterator]();
        const body = (await chunks.next()).value as ChunkBody;
        // Same size, other bytes: what an editor saving in place does.
        const fh = await open(path, 'r+');
        await fh.write(randomBytes(SMALL), 0, SMALL, 0);
        await fh.close();
        let reads = 0;
        const w = await writeContext(1, SMALL);
        const stored = storeChunk(w, { ...body, read: (frameSize, signal) => (reads++, body.read(frameSize, signal)) }, new AbortController().signal);
        await expect(stored).rejects.toMatchObject({ code: Code.FailedPrecondition, reason: 'SOURCE_CHANGED', message: expect.stringContaining(`local file ${path} changed while it was being uploaded`) });
        // One write, one read to check the source: not five writes, each blaming another node.
        expect(reads).toBe(2);
        expect([...w.failedNodes]).toEqual([]);
        await chunks.return?.();
      } finally {
        await source.close();
      }
    } finally {
      await scratch.cleanup();
    }
  });

  it('still blames the node and writes elsewhere when the source is unchanged (bytes damaged on the way)', async () => {
    const data = randomBytes(SMALL);
    let reads = 0;
    const body: ChunkBody = {
      index: 0,
      offset: 0,
      size: SMALL,
      sha256: chunkSha256(data),
      origin: 'test bytes',
      async *read() {
        // Only the first write's bytes are damaged; the source itself holds the right ones.
        yield ++reads === 1 ? randomBytes(SMALL) : data;
      },
      release: async () => undefined,
    };
    const w = await writeContext(1, SMALL);
    const chunk = await storeChunk(w, body, new AbortController().signal);
    expect(chunk.replicaNodeIds).toHaveLength(3);
    expect(w.failedNodes.size).toBe(1);
  });
});
