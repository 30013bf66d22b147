import { promises as fsPromises } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Code } from '@dfs/proto';
import { openFileChunkSource } from './file-chunk-source.js';
import { scratchDir } from './test/sources.js';

// A local file source's own handle. No cluster.
describe('openFileChunkSource', () => {
  afterEach(() => jest.restoreAllMocks());

  it('closes the file it opened when it cannot stat it', async () => {
    const scratch = await scratchDir();
    try {
      const path = join(scratch.dir, 'file.bin');
      await fsPromises.writeFile(path, 'bytes');
      // fstat right after open hardly fails for real (EIO on a failing disk,
      // a network filesystem): the handle's stat() is made to fail instead.
      const realOpen = fsPromises.open;
      let handle: FileHandle | undefined;
      jest.spyOn(fsPromises, 'open').mockImplementationOnce(async (...args: Parameters<typeof realOpen>) => {
        handle = await realOpen(...args);
        jest.spyOn(handle, 'stat').mockRejectedValueOnce(Object.assign(new Error('EIO: i/o error, fstat'), { code: 'EIO' }));
        return handle;
      });
      await expect(openFileChunkSource(path)).rejects.toMatchObject({ code: Code.Unknown, message: expect.stringContaining(`cannot read local file ${path}`) });
      expect(handle).toBeDefined();
      // A closed FileHandle has no descriptor.
      expect(handle!.fd).toBe(-1);
    } finally {
      await scratch.cleanup();
    }
  });

  // A file written to while it uploads: the upload fails with a reason the
  // CLI and applications can tell from a wrong request (run it again).
  it.each([
    ['grows after it was read (finish sees another size)', 'append'],
    ['shrinks while it is read', 'truncate'],
  ])('fails with FailedPrecondition SOURCE_CHANGED when the file %s', async (_what, how) => {
    const scratch = await scratchDir();
    try {
      const path = join(scratch.dir, 'live.bin');
      await fsPromises.writeFile(path, Buffer.alloc(3 * 1024, 7));
      const source = await openFileChunkSource(path);
      try {
        const read = async () => {
          for await (const chunk of source.chunks(1024, createHash('sha256'), new AbortController().signal)) {
            if (how === 'truncate' && chunk.index === 0) await fsPromises.truncate(path, 1024);
          }
        };
        if (how === 'truncate') {
          await expect(read()).rejects.toMatchObject({ code: Code.FailedPrecondition, reason: 'SOURCE_CHANGED' });
        } else {
          await read();
          await fsPromises.appendFile(path, 'more');
          await expect(source.finish()).rejects.toMatchObject({ code: Code.FailedPrecondition, reason: 'SOURCE_CHANGED' });
        }
      } finally {
        await source.close();
      }
    } finally {
      await scratch.cleanup();
    }
  });
});
