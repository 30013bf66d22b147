import { randomBytes } from 'node:crypto';
import type { Client } from '@connectrpc/connect';
import type { DatanodeService } from '@dfs/proto';
import { eventually } from '@dfs/test-cluster';
import { createClientContext, type ClientContext } from './client-context.js';
import { createFileReadStream } from './create-file-read-stream.js';
import { isDfsError } from './index.js';
import { KiB, readAll } from './test/sources.js';
import { useSdkCluster } from './test/use-sdk-cluster.js';

// createReadStream: ranges within a chunk, across chunk boundaries, to the
// end, empty and invalid, on a file of 64 KiB chunks (whose 64 KiB checksum
// blocks then line up with the chunks) and one of 100 KiB chunks (they do not).
jest.setTimeout(120_000);

const sdk = useSdkCluster('read-stream', { datanodes: 2, replication: 2 });
const data = randomBytes(5 * 64 * KiB + 1234);
const big = randomBytes(6 * 1024 * KiB);

/** `client` with its ReadChunk calls counted: `started` when made, `finished` when their responses ran to the end. */
function countingReads(client: Client<typeof DatanodeService>, fetches: { started: number; finished: number }): Client<typeof DatanodeService> {
  return {
    ...client,
    readChunk(request, options) {
      fetches.started++;
      const responses = client.readChunk(request, options);
      return (async function* () {
        yield* responses;
        fetches.finished++;
      })();
    },
  };
}

beforeAll(async () => {
  await sdk.dfs.upload('/ranges/aligned', data, { chunkSize: 64 * KiB });
  await sdk.dfs.upload('/ranges/unaligned', data, { chunkSize: 100 * KiB });
  await sdk.dfs.upload('/ranges/empty', new Uint8Array(0));
  await sdk.dfs.upload('/ranges/big', big, { chunkSize: 1024 * KiB });
});

describe.each(['/ranges/aligned', '/ranges/unaligned'])('createReadStream of %s', (path) => {
  const cases: Array<[string, { start?: number; end?: number }, Buffer]> = [
    ['the whole file', {}, data],
    ['one byte', { start: 10, end: 10 }, data.subarray(10, 11)],
    ['a range within a chunk', { start: 1000, end: 5000 }, data.subarray(1000, 5001)],
    ['a range across chunk boundaries', { start: 64 * KiB - 7, end: 3 * 100 * KiB + 9 }, data.subarray(64 * KiB - 7, 3 * 100 * KiB + 10)],
    ['from an offset to the end', { start: 200 * KiB + 1 }, data.subarray(200 * KiB + 1)],
    ['up to an end', { end: 150 * KiB }, data.subarray(0, 150 * KiB + 1)],
    ['an end past the end of the file', { start: 5, end: data.length + 100 }, data.subarray(5)],
    ['the last byte', { start: data.length - 1 }, data.subarray(data.length - 1)],
    ['a start at the end of the file (empty)', { start: data.length }, Buffer.alloc(0)],
    ['a start past the end of the file (empty)', { start: data.length + 10, end: data.length + 20 }, Buffer.alloc(0)],
  ];
  it.each(cases)('reads %s', async (_label, range, expected) => {
    const got = await readAll(sdk.dfs.createReadStream(path, range));
    expect(got.length).toBe(expected.length);
    expect(got.equals(expected)).toBe(true);
  });
});

describe('createReadStream', () => {
  it('reads an empty file as an empty stream', async () => {
    expect((await readAll(sdk.dfs.createReadStream('/ranges/empty'))).length).toBe(0);
  });

  it('throws InvalidArgument at once for a bad range or path', () => {
    for (const [range, message] of [
      [{ start: 10, end: 9 }, /start \(10\) is after end \(9\)/],
      [{ start: -1 }, /start must be a whole number >= 0/],
      [{ end: 1.5 }, /end must be a whole number >= 0/],
    ] as const) {
      expect(() => sdk.dfs.createReadStream('/ranges/aligned', range)).toThrow(expect.objectContaining({ name: 'DfsError', code: 'InvalidArgument', message: expect.stringMatching(message) }));
    }
    expect(() => sdk.dfs.createReadStream('relative/path')).toThrow(expect.objectContaining({ code: 'InvalidArgument', reason: 'BAD_PATH' }));
  });

  it('emits NotFound as a DfsError for a missing file', async () => {
    const err = await readAll(sdk.dfs.createReadStream('/ranges/missing')).catch((e: unknown) => e);
    expect(isDfsError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'NotFound', message: '/ranges/missing does not exist' });
  });

  it('applies back-pressure: a stream nobody reads fetches only its read-ahead and buffers no more than its high-water mark', async () => {
    // The stream's own client, its chunk fetches counted: started, and read to their end.
    const fetches = { started: 0, finished: 0 };
    const base = createClientContext({ coordinators: sdk.cluster.coordinator.address });
    const ctx: ClientContext = { ...base, datanode: (address) => countingReads(base.datanode(address), fetches) };
    try {
      const stream = createFileReadStream(ctx, '/ranges/big');
      await new Promise((resolve) => stream.once('readable', resolve));
      // The read-ahead (chunks 0 and 1, 1 MiB each) is fetched to the end
      // whether or not the stream is held back. Were it not, it would go on
      // pulling once chunk 0's fetch ended, and start the fetch of chunk 2 in
      // the same turn of the event loop (no I/O in between), before this check
      // (a timer) runs.
      expect(await eventually(async () => fetches.finished >= 2)).toBe(true);
      expect(fetches.started).toBe(2);
      expect(stream.readableLength).toBeLessThanOrEqual(stream.readableHighWaterMark + 64 * KiB);
      expect((await readAll(stream)).equals(big)).toBe(true);
      expect(fetches).toEqual({ started: 6, finished: 6 });
    } finally {
      await ctx.close();
    }
  });

  it('stops with Canceled when its signal aborts, and when destroyed early', async () => {
    const controller = new AbortController();
    const stream = sdk.dfs.createReadStream('/ranges/aligned', { signal: controller.signal });
    const reading = readAll(stream).catch((e: unknown) => e);
    controller.abort();
    expect(await reading).toMatchObject({ name: 'DfsError', code: 'Canceled' });

    const early = sdk.dfs.createReadStream('/ranges/aligned');
    for await (const piece of early) {
      expect((piece as Buffer).length).toBeGreaterThan(0);
      break; // destroys the stream
    }
    expect(early.destroyed).toBe(true);
  });
});
