import { create } from '@bufbuild/protobuf';
import { ChunkPlacementSchema, Code, DfsError, newChunkId, type AllocateChunksRequest } from '@dfs/proto';
import type { ClientContext } from './client-context.js';
import { PlacementQueue } from './placement-queue.js';

// The queue against a stand-in coordinator (its neighbour): which
// AllocateChunks calls it makes. Real uploads run in upload-download.spec.ts.
function fakeCoordinator(maxPerCall = 1_000) {
  const calls: number[][] = [];
  const ctx = {
    coordinator: async (fn: (client: unknown, options: unknown) => Promise<unknown>) =>
      fn(
        {
          allocateChunks: async (req: Pick<AllocateChunksRequest, 'indexes'>) => {
            calls.push([...req.indexes]);
            if (req.indexes.length > maxPerCall) throw new DfsError(Code.InvalidArgument, `ask for 1 to ${maxPerCall} chunk indexes per call, not ${req.indexes.length}`);
            return { placements: req.indexes.map((index) => create(ChunkPlacementSchema, { index, chunkId: newChunkId() })) };
          },
        },
        {},
      ),
  } as unknown as ClientContext;
  return { ctx, calls };
}

async function takeAll(queue: PlacementQueue, count: number): Promise<number[]> {
  const taken: number[] = [];
  for (let i = 0; i < count; i++) taken.push((await queue.take(i, new AbortController().signal)).index);
  return taken;
}

describe('PlacementQueue', () => {
  it('places a stream in batches that double up to 64, each index once', async () => {
    const { ctx, calls } = fakeCoordinator();
    const queue = new PlacementQueue(ctx, 'u', [], undefined);
    expect(await takeAll(queue, 300)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(calls.map((c) => c.length)).toEqual([1, 2, 4, 8, 16, 32, 64, 64, 64, 64]);
    expect(calls.flat()).toEqual(Array.from({ length: calls.flat().length }, (_, i) => i));
  });

  it('halves a stream batch the coordinator refuses as too large, and keeps below it', async () => {
    const { ctx, calls } = fakeCoordinator(5);
    const queue = new PlacementQueue(ctx, 'u', [], undefined);
    expect(await takeAll(queue, 30)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    // 1, 2, 4, then 8 refused → 4, never above 4 again.
    expect(calls.map((c) => c.length)).toEqual([1, 2, 4, 8, 4, 4, 4, 4, 4, 4]);
  });

  it('asks for a file of known size in batches the size of CreateUpload\'s first one, never past the end', async () => {
    const { ctx, calls } = fakeCoordinator();
    const initial = [0, 1, 2].map((index) => create(ChunkPlacementSchema, { index, chunkId: newChunkId() }));
    const queue = new PlacementQueue(ctx, 'u', initial, 8);
    expect(await takeAll(queue, 8)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(calls).toEqual([[3, 4, 5], [6, 7]]);
  });
});
