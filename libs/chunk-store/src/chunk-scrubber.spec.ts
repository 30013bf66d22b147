import fsp, { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CHUNK_BLOCK_SIZE, Code } from '@dfs/proto';
import { CHUNK_HEADER_SIZE, chunkFileLength } from './chunk-header.js';
import { ChunkScrubber, type ScrubRoundSummary } from './chunk-scrubber.js';
import type { ChunkInfo, ChunkStore } from './chunk-store.js';
import { chunkFilePath, flipByte, putChunk, random, readRange, rejection, useTempDir } from './test/store-fixtures.js';

const MiB = 1024 * 1024;
const FAST = 1024 * MiB;

/** The store with some methods replaced: to delete or fail at a chosen moment of a round. */
function withOverrides(store: ChunkStore, overrides: Partial<ChunkStore>): ChunkStore {
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key in overrides) return overrides[key as keyof ChunkStore];
      const value: unknown = Reflect.get(target, key, receiver);
      // Bound, so the store's own state is what every call reads and changes.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function listIds(store: ChunkStore): Promise<string[]> {
  const ids: string[] = [];
  for await (const info of store.list()) ids.push(info.chunkId);
  return ids.sort();
}

describe('ChunkScrubber', () => {
  const tmp = useTempDir();
  const onCorrupt = jest.fn();
  let store: ChunkStore;

  beforeEach(async () => {
    onCorrupt.mockReset();
    store = await tmp.open({ onCorrupt });
  });

  afterEach(() => jest.restoreAllMocks());

  it('verifies an intact store without a false positive', async () => {
    const chunks = [await putChunk(store, random(1)), await putChunk(store, random(3 * CHUNK_BLOCK_SIZE + 7)), await putChunk(store, random(2 * MiB))];
    const summary = await new ChunkScrubber(store, { bytesPerSecond: FAST }).scrubRound(1, new AbortController().signal);
    expect(summary).toMatchObject({ round: 1, verified: 3, corrupt: 0, vanished: 0, unreadable: 0, complete: true });
    expect(summary.bytes).toBe(chunks.reduce((n, c) => n + chunkFileLength(c.size), 0));
    expect(onCorrupt).not.toHaveBeenCalled();
    expect(await readdir(join(tmp.dir, 'quarantine'))).toEqual([]);
    expect(await listIds(store)).toEqual(chunks.map((c) => c.chunkId).sort());
  });

  it('finds a flipped byte in data, header or trailer, quarantines and reports each, and a rewrite of the id works', async () => {
    const size = 3 * CHUNK_BLOCK_SIZE + 100;
    const data = random(size);
    const [inData, inHeader, inTrailer, intact] = [await putChunk(store, data), await putChunk(store, random(size)), await putChunk(store, random(size)), await putChunk(store, random(size))];
    await flipByte(chunkFilePath(tmp.dir, inData.chunkId), CHUNK_HEADER_SIZE + size - 1); // last byte of the last block
    await flipByte(chunkFilePath(tmp.dir, inHeader.chunkId), 40); // the chunk checksum field
    await flipByte(chunkFilePath(tmp.dir, inTrailer.chunkId), CHUNK_HEADER_SIZE + size + 33); // second block digest
    const bad = [inData, inHeader, inTrailer].map((c) => c.chunkId).sort();

    const scrubber = new ChunkScrubber(store, { bytesPerSecond: FAST });
    const summary = await scrubber.scrubRound(1, new AbortController().signal);
    expect(summary).toMatchObject({ verified: 1, corrupt: 3, vanished: 0, unreadable: 0, complete: true });
    expect(onCorrupt.mock.calls.map((c) => c[0]).sort()).toEqual(bad);
    expect(await readdir(join(tmp.dir, 'quarantine'))).toHaveLength(3);
    for (const id of bad) expect((await rejection(store.openReader(id))).code).toBe(Code.NotFound);
    expect(await listIds(store)).toEqual([intact.chunkId]);
    expect((await store.usage()).chunkCount).toBe(1);

    // Re-replication brings a good copy back under the same id.
    await putChunk(store, data, { chunkId: inData.chunkId });
    const reader = await store.openReader(inData.chunkId);
    expect((await readRange(reader, { offset: 0, length: 0 })).data.equals(data)).toBe(true);
    await reader.close();
    expect(await scrubber.scrubRound(2, new AbortController().signal)).toMatchObject({ verified: 2, corrupt: 0 });
    expect(onCorrupt).toHaveBeenCalledTimes(3);
  });

  it('skips a chunk deleted after the walk found it', async () => {
    const victim = await putChunk(store, random(1000));
    const kept = await putChunk(store, random(1000));
    const deleting = withOverrides(store, {
      chunkIds: async function* () {
        for await (const id of store.chunkIds()) {
          if (id === victim.chunkId) await store.delete(id);
          yield id;
        }
      },
    });
    const summary = await new ChunkScrubber(deleting, { bytesPerSecond: FAST }).scrubRound(1, new AbortController().signal);
    expect(summary).toMatchObject({ verified: 1, vanished: 1, corrupt: 0, complete: true });
    expect(await listIds(store)).toEqual([kept.chunkId]);
    expect(onCorrupt).not.toHaveBeenCalled();
  });

  it('leaves a chunk it cannot open (EMFILE) in place: an I/O error is not a mismatch', async () => {
    const victim = await putChunk(store, random(1000));
    await putChunk(store, random(1000));
    const victimPath = chunkFilePath(tmp.dir, victim.chunkId);
    const realOpen = fsp.open;
    jest.spyOn(fsp, 'open').mockImplementation((path, ...rest) =>
      path === victimPath ? Promise.reject(Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' })) : realOpen(path, ...rest),
    );
    const logger = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };
    const summary = await new ChunkScrubber(store, { bytesPerSecond: FAST, logger }).scrubRound(1, new AbortController().signal);
    expect(summary).toMatchObject({ verified: 1, unreadable: 1, corrupt: 0 });
    expect(logger.warn).toHaveBeenCalledWith(expect.objectContaining({ chunkId: victim.chunkId }), expect.stringMatching(/left in place/));
    jest.restoreAllMocks();
    expect(onCorrupt).not.toHaveBeenCalled();
    expect(await readdir(join(tmp.dir, 'quarantine'))).toEqual([]);
    expect(await store.has(victim.chunkId)).toBe(true);
  });

  it('reads no faster than the configured rate', async () => {
    const rate = 4 * MiB;
    for (let i = 0; i < 3; i++) await putChunk(store, random(3 * MiB));
    const started = performance.now();
    const summary = await new ChunkScrubber(store, { bytesPerSecond: rate }).scrubRound(1, new AbortController().signal);
    const elapsedMs = performance.now() - started;
    expect(summary).toMatchObject({ verified: 3, complete: true });
    // An upper bound only: a loaded machine makes the round slower, never faster.
    expect((summary.bytes * 1000) / elapsedMs).toBeLessThanOrEqual(1.5 * rate);
  });

  // Promptly, not after the round: at SLOW a round takes 32 s, far past the
  // jest timeout (5 s), so a scrubber that finishes the chunk before stopping
  // fails by timing out. No bound on the time itself: a loaded machine is slower.
  describe('stops promptly', () => {
    const SLOW = { bytesPerSecond: 256 * 1024, readSize: 64 * 1024 }; // a read every 250 ms
    let opened: Promise<void>;
    let paced: ChunkStore;

    beforeEach(async () => {
      await putChunk(store, random(8 * MiB)); // 32 s at SLOW
      let markOpened!: () => void;
      opened = new Promise((resolve) => (markOpened = resolve));
      paced = withOverrides(store, {
        openReader: async (id, options) => {
          const reader = await store.openReader(id, options);
          markOpened();
          return reader;
        },
      });
    });

    it('when aborted in the middle of a chunk', async () => {
      const rounds: ScrubRoundSummary[] = [];
      const ac = new AbortController();
      const running = new ChunkScrubber(paced, { ...SLOW, onRound: (s) => rounds.push(s) }).run(ac.signal);
      await opened;
      ac.abort();
      await running;
      expect(rounds).toEqual([expect.objectContaining({ round: 1, complete: false, verified: 0, corrupt: 0 })]);
      expect(rounds[0]!.bytes).toBeLessThan(8 * MiB);
      expect(onCorrupt).not.toHaveBeenCalled();
    });

    it('when the store closes under it', async () => {
      const running = new ChunkScrubber(paced, SLOW).run(new AbortController().signal);
      await opened;
      await store.close();
      await running;
    });
  });

  it('runs round after round, pausing in between, until aborted', async () => {
    await putChunk(store, random(1000));
    const ac = new AbortController();
    const rounds: ScrubRoundSummary[] = [];
    let third!: () => void;
    const reachedThird = new Promise<void>((resolve) => (third = resolve));
    const running = new ChunkScrubber(store, {
      bytesPerSecond: FAST,
      intervalMs: 20,
      onRound: (s) => {
        rounds.push(s);
        if (s.round === 3) third();
      },
    }).run(ac.signal);
    await reachedThird;
    ac.abort();
    await running;
    expect(rounds.slice(0, 3).map((r) => [r.round, r.verified, r.complete])).toEqual([
      [1, 1, true],
      [2, 1, true],
      [3, 1, true],
    ]);
  });

  it('refuses a rate of 0 and a read size outside 64 KiB..4 MiB', () => {
    expect(() => new ChunkScrubber(store, { bytesPerSecond: 0 })).toThrow(/positive/);
    expect(() => new ChunkScrubber(store, { bytesPerSecond: MiB, readSize: 1024 })).toThrow(/read size/);
  });
});

describe('the startup scan', () => {
  const tmp = useTempDir();

  afterEach(() => jest.restoreAllMocks());

  it('leaves a chunk file it cannot open (EMFILE) in place, counted, and serves it once it can', async () => {
    let store = await tmp.open();
    const data = random(5000);
    const info: ChunkInfo = await putChunk(store, data);
    await store.close();
    const path = chunkFilePath(tmp.dir, info.chunkId);
    const realOpen = fsp.open;
    const spy = jest.spyOn(fsp, 'open').mockImplementation((p, ...rest) =>
      p === path ? Promise.reject(Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' })) : realOpen(p, ...rest),
    );
    const onCorrupt = jest.fn();
    store = await tmp.open({ onCorrupt });
    spy.mockRestore();
    expect(store.startupReport).toMatchObject({ chunks: 1, quarantined: 0 });
    expect(onCorrupt).not.toHaveBeenCalled();
    expect((await store.usage()).usedBytes).toBe(chunkFileLength(data.length));
    const reader = await store.openReader(info.chunkId);
    expect((await readRange(reader, { offset: 0, length: 0 })).data.equals(data)).toBe(true);
    await reader.close();
  });
});
