import { randomBytes } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { createClient, createRouterTransport, type Client } from '@connectrpc/connect';
import {
  CHUNK_BLOCK_SIZE,
  ChunkHasher,
  Code,
  DatanodeService,
  ReadChunkResponseSchema,
  WriteChunkResponseSchema,
  chunkSha256,
  newChunkId,
  type WriteChunkRequest,
} from '@dfs/proto';
import { acceptChunkWrite } from './accept-chunk-write.js';
import { frameBytes } from './frame-bytes.js';
import { readChunkStream } from './read-chunk-stream.js';
import { writeChunkStream } from './write-chunk-stream.js';

/** An in-memory datanode built from the streamer's server side: the unit's neighbour. */
function memoryNode(behaviour: { ackDelayMs?: number; stallAfterFrames?: number; corruptBlock?: number; hangAfterResult?: boolean } = {}) {
  const stored = new Map<string, Buffer>();
  const stats = { maxUnacked: 0, canceled: 0 };
  const transport = createRouterTransport(({ service }) => {
    service(DatanodeService, {
      async *writeChunk(requests: AsyncIterable<WriteChunkRequest>, ctx) {
        ctx.signal.addEventListener('abort', () => stats.canceled++);
        const incoming = await acceptChunkWrite(requests, { idleTimeoutMs: 5_000 });
        const parts: Uint8Array[] = [];
        const hasher = new ChunkHasher();
        let received = 0;
        let frames = 0;
        for await (const data of incoming.frames()) {
          frames++;
          if (behaviour.stallAfterFrames !== undefined && frames > behaviour.stallAfterFrames) await new Promise(() => undefined);
          parts.push(Buffer.from(data));
          hasher.update(data);
          received += data.length;
          if (behaviour.ackDelayMs) await new Promise((r) => setTimeout(r, behaviour.ackDelayMs));
          yield create(WriteChunkResponseSchema, { message: { case: 'progress', value: { bytesAcked: BigInt(received) } } });
        }
        const digest = hasher.digest();
        if (Buffer.compare(digest.sha256, incoming.trailer!.sha256) !== 0) throw new Error('checksum mismatch');
        stored.set(incoming.header.chunkId, Buffer.concat(parts));
        yield create(WriteChunkResponseSchema, {
          message: { case: 'result', value: { chunkId: incoming.header.chunkId, size: BigInt(received), sha256: digest.sha256 } },
        });
        // A node stopped (or cut off) between its result and the end of the stream.
        if (behaviour.hangAfterResult) await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      },
      async *readChunk(req) {
        const data = Buffer.from(stored.get(req.chunkId)!);
        const digest = new ChunkHasher().update(data).digest();
        const offset = Number(req.offset);
        const end = req.length ? offset + Number(req.length) : data.length;
        const first = Math.floor(offset / CHUNK_BLOCK_SIZE);
        const last = Math.floor((end - 1) / CHUNK_BLOCK_SIZE);
        yield create(ReadChunkResponseSchema, {
          message: {
            case: 'header',
            value: { chunkSize: BigInt(data.length), sha256: digest.sha256, blockSize: CHUNK_BLOCK_SIZE, firstBlock: first, blockSha256: digest.blockDigests.slice(first, last + 1) },
          },
        });
        if (behaviour.corruptBlock !== undefined) data[behaviour.corruptBlock * CHUNK_BLOCK_SIZE + 5]! ^= 0xff;
        for (let pos = offset; pos < end; pos += 100_000) {
          const slice = data.subarray(pos, Math.min(end, pos + 100_000));
          yield create(ReadChunkResponseSchema, { message: { case: 'frame', value: { offset: BigInt(pos), data: slice } } });
        }
      },
    });
  });
  return { client: createClient(DatanodeService, transport) as Client<typeof DatanodeService>, stored, stats };
}

async function* once(data: Uint8Array) {
  yield data;
}

async function readAll(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of it) parts.push(p);
  return Buffer.concat(parts);
}

describe('writeChunkStream → acceptChunkWrite', () => {
  it('streams a chunk in frames with the checksum computed on the way', async () => {
    const node = memoryNode();
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const chunkId = newChunkId();
    const progress: number[] = [];
    const { result, digest } = await writeChunkStream(node.client, {
      chunkId,
      size: data.length,
      frames: frameBytes(once(data), 256 * 1024),
      onProgress: (n) => progress.push(n),
    });
    expect(Number(result.size)).toBe(data.length);
    expect(Buffer.from(digest!.sha256)).toEqual(Buffer.from(chunkSha256(data)));
    expect(node.stored.get(chunkId)!.equals(data)).toBe(true);
    expect(progress.at(-1)).toBe(data.length);
  });

  it('keeps at most `windowFrames` frames unacknowledged', async () => {
    const node = memoryNode({ ackDelayMs: 2 });
    let sent = 0;
    let maxAhead = 0;
    let acked = 0;
    async function* counted() {
      for await (const f of frameBytes(once(randomBytes(40 * 16 * 1024)), 16 * 1024)) {
        sent++;
        maxAhead = Math.max(maxAhead, sent - acked);
        yield f;
      }
    }
    await writeChunkStream(node.client, {
      chunkId: newChunkId(),
      frames: counted(),
      windowFrames: 3,
      onProgress: (n) => (acked = n / (16 * 1024)),
    });
    // The frame being produced can be one past the window while acquire waits.
    expect(maxAhead).toBeLessThanOrEqual(4);
  });

  it('fails with DeadlineExceeded when the node stops acknowledging', async () => {
    const node = memoryNode({ stallAfterFrames: 2 });
    // The node stalls forever: without the idle timeout this would hang until the jest timeout.
    await expect(
      writeChunkStream(node.client, {
        chunkId: newChunkId(),
        frames: frameBytes(once(randomBytes(10 * 16 * 1024)), 16 * 1024),
        windowFrames: 2,
        idleTimeoutMs: 150,
      }),
    ).rejects.toMatchObject({ code: Code.DeadlineExceeded, reason: 'IDLE_TIMEOUT' });
  });

  it('returns the result once it arrives, without waiting for a node that then never ends the stream', async () => {
    const node = memoryNode({ hangAfterResult: true });
    const data = randomBytes(3 * 16 * 1024);
    const { result } = await writeChunkStream(node.client, { chunkId: newChunkId(), frames: frameBytes(once(data), 16 * 1024), idleTimeoutMs: 200 });
    expect(Number(result.size)).toBe(data.length);
  });

  it('fails with DeadlineExceeded when the node never takes the stream (no request pulled, no answer)', async () => {
    // A peer whose stream never opens, or whose flow control never lets the first message through.
    const silent = {
      writeChunk: (_requests: unknown, opts: { signal: AbortSignal }) => ({
        [Symbol.asyncIterator]: () => ({
          next: () => new Promise((_, reject) => opts.signal.addEventListener('abort', () => reject(opts.signal.reason as Error), { once: true })),
        }),
      }),
    } as unknown as Parameters<typeof writeChunkStream>[0];
    await expect(
      writeChunkStream(silent, { chunkId: newChunkId(), frames: once(randomBytes(1024)), idleTimeoutMs: 150 }),
    ).rejects.toMatchObject({ code: Code.DeadlineExceeded, reason: 'IDLE_TIMEOUT' });
  });

  it('does not count time spent waiting for its own source as the node\'s stall', async () => {
    const node = memoryNode();
    async function* slow() {
      await new Promise((r) => setTimeout(r, 500));
      yield randomBytes(1024);
      await new Promise((r) => setTimeout(r, 500));
      yield randomBytes(1024);
    }
    const { result } = await writeChunkStream(node.client, { chunkId: newChunkId(), frames: slow(), idleTimeoutMs: 150 });
    expect(Number(result.size)).toBe(2048);
  });

  it('is canceled by its signal, and the node sees the cancellation', async () => {
    const node = memoryNode({ ackDelayMs: 20 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    await expect(
      writeChunkStream(node.client, { chunkId: newChunkId(), frames: frameBytes(once(randomBytes(64 * 16 * 1024)), 16 * 1024), signal: ac.signal }),
    ).rejects.toMatchObject({ code: Code.Canceled });
    expect(node.stored.size).toBe(0);
  });

  it('passes the server error code through', async () => {
    const node = memoryNode();
    await expect(
      writeChunkStream(node.client, { chunkId: 'not-a-chunk-id', frames: once(new Uint8Array(10)) }),
    ).rejects.toMatchObject({ code: Code.InvalidArgument, reason: 'BAD_CHUNK_ID' });
  });
});

describe('readChunkStream', () => {
  const data = randomBytes(5 * CHUNK_BLOCK_SIZE + 1234);

  async function stored(behaviour = {}) {
    const node = memoryNode(behaviour);
    const chunkId = newChunkId();
    await writeChunkStream(node.client, { chunkId, frames: frameBytes(once(data), 64 * 1024) });
    return { ...node, chunkId };
  }

  it('reads and verifies a whole chunk', async () => {
    const { client, chunkId } = await stored();
    const got = await readAll(readChunkStream(client, { chunkId, expectedSha256: chunkSha256(data) }));
    expect(got.equals(data)).toBe(true);
  });

  it('reads ranges that start and end inside blocks', async () => {
    const { client, chunkId } = await stored();
    const ranges = [
      [1, 10],
      [CHUNK_BLOCK_SIZE - 3, CHUNK_BLOCK_SIZE + 10],
      [100, 3 * CHUNK_BLOCK_SIZE],
      [2 * CHUNK_BLOCK_SIZE, 0],
      [5 * CHUNK_BLOCK_SIZE + 10, 100],
      [5 * CHUNK_BLOCK_SIZE + 10, 1224],
      [CHUNK_BLOCK_SIZE, CHUNK_BLOCK_SIZE],
      [data.length, 0],
    ] as const;
    for (const [offset, length] of ranges) {
      const got = await readAll(readChunkStream(client, { chunkId, offset, length, chunkSize: data.length }));
      expect(got.equals(data.subarray(offset, length ? offset + length : undefined))).toBe(true);
    }
  });

  it('never yields the bytes of a corrupt block', async () => {
    const { client, chunkId } = await stored({ corruptBlock: 2 });
    const yielded: Uint8Array[] = [];
    const run = async () => {
      for await (const p of readChunkStream(client, { chunkId })) yielded.push(p);
    };
    await expect(run()).rejects.toMatchObject({ code: Code.DataLoss, reason: 'CORRUPT_CHUNK' });
    const got = Buffer.concat(yielded);
    expect(got.length).toBe(2 * CHUNK_BLOCK_SIZE);
    expect(got.equals(data.subarray(0, got.length))).toBe(true);
  });

  it('checks the blocks a range covers only in part, and yields none of their bytes when one is corrupt', async () => {
    // Block 1 is corrupt at its byte 5, inside the range, though the range covers only part of the block.
    const { client, chunkId } = await stored({ corruptBlock: 1 });
    const yielded: Uint8Array[] = [];
    const run = async () => {
      for await (const p of readChunkStream(client, { chunkId, offset: CHUNK_BLOCK_SIZE + 1, length: 10, chunkSize: data.length })) yielded.push(p);
    };
    await expect(run()).rejects.toMatchObject({ code: Code.DataLoss, reason: 'CORRUPT_CHUNK' });
    expect(yielded).toEqual([]);
  });

  it('refuses bad ranges before asking the node: negative, past the end, or a length without the chunk size', async () => {
    const { client, chunkId } = await stored();
    const read = (o: { offset?: number; length?: number; chunkSize?: number }) => readAll(readChunkStream(client, { chunkId, ...o }));
    await expect(read({ offset: -1 })).rejects.toMatchObject({ code: Code.InvalidArgument, reason: 'BAD_RANGE' });
    await expect(read({ offset: 0, length: -5, chunkSize: data.length })).rejects.toMatchObject({ code: Code.InvalidArgument, reason: 'BAD_RANGE' });
    await expect(read({ offset: 0, length: 10 })).rejects.toMatchObject({ code: Code.InvalidArgument });
    await expect(read({ offset: data.length + 1 })).rejects.toMatchObject({ code: Code.OutOfRange, reason: 'BAD_RANGE' });
    await expect(read({ offset: data.length - 10, length: 20, chunkSize: data.length + 10 })).rejects.toMatchObject({ code: Code.DataLoss });
  });

  it('rejects a replica holding another version of the chunk', async () => {
    const { client, chunkId } = await stored();
    await expect(readAll(readChunkStream(client, { chunkId, expectedSha256: new Uint8Array(32) }))).rejects.toMatchObject({
      code: Code.DataLoss,
      reason: 'CHECKSUM_MISMATCH',
    });
  });
});
