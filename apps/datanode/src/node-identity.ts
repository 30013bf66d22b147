import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { Code, DfsError } from '@dfs/proto';

const ID_PATTERN = /^[0-9a-f-]{36}$/;

/**
 * The node's persistent id: minted on first start and stored (durably) in
 * the data directory, so a restarted node is recognized as the same node
 * and its chunks as its own.
 */
export async function loadNodeId(dataDir: string): Promise<string> {
  const file = join(dataDir, 'node-id');
  try {
    const id = (await readFile(file, 'utf8')).trim();
    if (!ID_PATTERN.test(id)) {
      throw new DfsError(Code.FailedPrecondition, `${file} holds ${JSON.stringify(id.slice(0, 40))}, not a node id: restore it, or remove it if this is a fresh node`);
    }
    return id;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dataDir, { recursive: true });
  const id = randomUUID();
  const tmp = `${file}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(`${id}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  const dir = await open(dataDir, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
  return id;
}
