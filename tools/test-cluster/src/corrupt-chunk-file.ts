import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { filesUnder } from './files-under.js';

/** Flips 16 bytes of a stored chunk's data (past its 256-byte header), as a failing disk would. */
export async function corruptChunkFile(dataDir: string, chunkId: string): Promise<void> {
  const file = (await filesUnder(join(dataDir, 'chunks'))).find((f) => f.endsWith(`${chunkId}.chunk`));
  if (!file) throw new Error(`${dataDir} holds no chunk ${chunkId}`);
  const fh = await open(join(dataDir, 'chunks', file), 'r+');
  try {
    const at = 256 + 100;
    const bytes = Buffer.alloc(16);
    await fh.read(bytes, 0, 16, at);
    for (let i = 0; i < bytes.length; i++) bytes[i] = bytes[i]! ^ 0xff;
    await fh.write(bytes, 0, 16, at);
  } finally {
    await fh.close();
  }
}
