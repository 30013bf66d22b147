import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The monorepo root (the folder holding nx.json), found from this file. */
export function workspaceRoot(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no nx.json above ${from}: run from the DFS workspace`);
  }
}
