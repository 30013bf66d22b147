import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** Every file below `dir` (relative paths, sorted); none when it does not exist. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(dir, p));
    }
  }
  await walk(dir);
  return out.sort();
}

/** Ids of the chunk files a datanode holds (its data dir's chunks/ tree; temp files not included). */
export async function chunkIdsIn(dataDir: string): Promise<string[]> {
  return (await filesUnder(join(dataDir, 'chunks')))
    .filter((f) => f.endsWith('.chunk'))
    .map((f) => f.slice(f.lastIndexOf('/') + 1, -'.chunk'.length));
}
