import { randomBytes } from 'node:crypto';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Code } from '@dfs/proto';
import { HashThread } from './hash-thread.js';
import { ReadBackHasher } from './read-back-hasher.js';
import { MiB, scratchDir, sha256 } from './test/sources.js';

let dir: string;
let cleanup: () => Promise<void>;
const thread = new HashThread();
beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir());
});
afterAll(async () => {
  await thread.close();
  await cleanup();
});

/** A file of `sizes` chunks back to back, and their spans. */
async function fileOf(name: string, sizes: number[]) {
  const data = randomBytes(sizes.reduce((a, b) => a + b, 0));
  const path = join(dir, name);
  await writeFile(path, data);
  let offset = 0;
  const spans = sizes.map((size, index) => {
    const span = { index, offset, size };
    offset += size;
    return span;
  });
  return { path, data, spans };
}

describe.each([
  ['on this thread', Number.MAX_SAFE_INTEGER],
  ["on the client's hash thread", 0],
])('ReadBackHasher %s', (_, threadMinBytes) => {
  it('hashes the file in file order while chunks complete out of order', async () => {
    const { path, data, spans } = await fileOf(`ok-${threadMinBytes}`, [3 * MiB + 7, MiB, 5, 2 * MiB]);
    const fh = await open(path, 'r');
    const hasher = new ReadBackHasher(fh, path, data.length, thread, threadMinBytes);
    try {
      for (const i of [2, 0, 3, 1]) await hasher.complete(spans[i]!);
      expect(await hasher.digest(spans.length)).toBe(sha256(data));
    } finally {
      hasher.close();
      await fh.close();
    }
  });

  it('refuses to give a digest while a chunk is missing', async () => {
    const { path, data, spans } = await fileOf(`gap-${threadMinBytes}`, [1000, 1000, 1000]);
    const fh = await open(path, 'r');
    const hasher = new ReadBackHasher(fh, path, data.length, thread, threadMinBytes);
    try {
      await hasher.complete(spans[0]!);
      await hasher.complete(spans[2]!);
      await expect(hasher.digest(spans.length)).rejects.toMatchObject({ code: Code.Internal, message: expect.stringMatching(/only 1 of 3 chunks/) });
    } finally {
      hasher.close();
      await fh.close();
    }
  });

  it('fails when the file is shorter than its chunks say', async () => {
    const { path, spans } = await fileOf(`short-${threadMinBytes}`, [1000, 1000]);
    const fh = await open(path, 'r');
    const hasher = new ReadBackHasher(fh, path, 2000, thread, threadMinBytes);
    try {
      await hasher.complete(spans[0]!);
      await hasher.complete({ index: 1, offset: 1000, size: 5000 }).catch(() => undefined);
      await expect(hasher.digest(2)).rejects.toMatchObject({ code: Code.Internal, message: expect.stringMatching(/ended at byte 2000/) });
    } finally {
      hasher.close();
      await fh.close();
    }
  });
});
