import fsp, { type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { CHUNK_BLOCK_SIZE, Code } from '@dfs/proto';
import { CHUNK_HEADER_SIZE } from './chunk-header.js';
import { ChunkScrubber } from './chunk-scrubber.js';
import type { ChunkInfo, ChunkStore } from './chunk-store.js';
import { chunkFilePath, filesUnder, putChunk, random, rejection, useTempDir } from './test/store-fixtures.js';

// A chunk whose data the disk can no longer deliver (EIO on every read of
// it) is re-replicated: the scrubber condemns it when a second round fails
// the same way, and the store reports it. The file system double is the
// real one with reads of chosen files failing.

const FAST = 1024 * 1024 * 1024;
const errno = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });

describe('ChunkScrubber and chunks it cannot read', () => {
  const tmp = useTempDir();
  const onCorrupt = jest.fn();
  let store: ChunkStore;
  /** Chunk file path → the errno its data reads fail with, and where its data ends (header and trailer still read). */
  const failing = new Map<string, { code: string; dataEnd: number }>();
  const fail = (chunk: ChunkInfo, code: string) => failing.set(chunkFilePath(tmp.dir, chunk.chunkId), { code, dataEnd: CHUNK_HEADER_SIZE + chunk.size });
  const heal = (chunk: ChunkInfo) => failing.delete(chunkFilePath(tmp.dir, chunk.chunkId));

  beforeEach(async () => {
    onCorrupt.mockReset();
    failing.clear();
    store = await tmp.open({ onCorrupt });
    const realOpen = fsp.open;
    jest.spyOn(fsp, 'open').mockImplementation(async (path, ...rest) => {
      const fh = await realOpen(path, ...rest);
      const failure = failing.get(String(path));
      return failure === undefined ? fh : failDataReads(fh, failure);
    });
  });

  afterEach(() => jest.restoreAllMocks());

  const round = (scrubber: ChunkScrubber, n: number) => scrubber.scrubRound(n, new AbortController().signal);

  it('reports a chunk that fails with EIO in two rounds in a row, and no other', async () => {
    const size = 2 * CHUNK_BLOCK_SIZE;
    const [eio, flaky, emfile, intact] = [
      await putChunk(store, random(size)),
      await putChunk(store, random(size)),
      await putChunk(store, random(size)),
      await putChunk(store, random(size)),
    ];
    const scrubber = new ChunkScrubber(store, { bytesPerSecond: FAST });
    fail(eio, 'EIO');
    fail(flaky, 'EIO');
    fail(emfile, 'EMFILE');

    expect(await round(scrubber, 1)).toMatchObject({ verified: 1, unreadable: 3, condemned: 0, corrupt: 0 });
    expect(onCorrupt).not.toHaveBeenCalled();
    expect(await store.has(eio.chunkId)).toBe(true);

    // Round 2: the flaky one reads again; the EIO one fails again.
    heal(flaky);
    expect(await round(scrubber, 2)).toMatchObject({ verified: 2, unreadable: 1, condemned: 1 });
    expect(onCorrupt.mock.calls).toEqual([[eio.chunkId, expect.stringMatching(/unreadable in scrub rounds 1 and 2.*EIO/)]]);
    expect(await store.has(eio.chunkId)).toBe(false);
    expect((await rejection(store.openReader(eio.chunkId))).code).toBe(Code.NotFound);
    expect(await filesUnder(join(tmp.dir, 'quarantine'))).toEqual([expect.stringMatching(new RegExp(`^${eio.chunkId}\\.chunk`))]);

    // Round 3: the flaky one fails once more, but it read well in between; EMFILE never counts.
    fail(flaky, 'EIO');
    expect(await round(scrubber, 3)).toMatchObject({ verified: 1, unreadable: 2, condemned: 0 });
    expect(await round(scrubber, 4)).toMatchObject({ verified: 1, unreadable: 1, condemned: 1 });
    expect(onCorrupt.mock.calls.map(([id]) => id)).toEqual([eio.chunkId, flaky.chunkId]);
    expect(await store.has(emfile.chunkId)).toBe(true);
    expect(await store.has(intact.chunkId)).toBe(true);
  });

  it('reports it even when the disk refuses to move it to quarantine', async () => {
    const chunk = await putChunk(store, random(CHUNK_BLOCK_SIZE + 1));
    const path = chunkFilePath(tmp.dir, chunk.chunkId);
    fail(chunk, 'EIO');
    const realRename = fsp.rename;
    jest.spyOn(fsp, 'rename').mockImplementation((from, to) => (String(from) === path ? Promise.reject(errno('EIO')) : realRename(from, to)));
    const scrubber = new ChunkScrubber(store, { bytesPerSecond: FAST });
    await round(scrubber, 1);
    expect(await round(scrubber, 2)).toMatchObject({ condemned: 1 });
    expect(onCorrupt).toHaveBeenCalledWith(chunk.chunkId, expect.stringMatching(/unreadable/));
    // Left where it is, but out of service: has() is false, so a heartbeat reports it.
    expect(await filesUnder(join(tmp.dir, 'quarantine'))).toEqual([]);
    expect(await store.has(chunk.chunkId)).toBe(false);
    expect((await store.usage()).chunkCount).toBe(0);
    // And it is not scrubbed (nor reported) again.
    expect(await round(scrubber, 3)).toMatchObject({ verified: 0, unreadable: 0, condemned: 0 });
    expect(onCorrupt).toHaveBeenCalledTimes(1);
  });
});

/** `fh` with reads of the data region (past the header, before the trailer) failing with `code`. */
function failDataReads(fh: FileHandle, { code, dataEnd }: { code: string; dataEnd: number }): FileHandle {
  return new Proxy(fh, {
    get(target, key) {
      if (key === 'read') {
        return async (buffer: Uint8Array, offset: number, length: number, position: number) => {
          if (position >= CHUNK_HEADER_SIZE && position < dataEnd) throw errno(code);
          return target.read(buffer, offset, length, position);
        };
      }
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
