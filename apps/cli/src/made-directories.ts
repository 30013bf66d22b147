import { mkdir, rmdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * The local directories a command made for its files, so that a command that
 * fails can remove again those still empty (a `get -r` that stopped early
 * must not leave a tree of empty directories). Directories that existed
 * before, or that hold anything now, stay.
 */
export class MadeDirectories {
  /** Each mkdir that made something: the outermost directory it made, and the one asked for. */
  private readonly made: Array<{ top: string; leaf: string }> = [];

  /** `dir` and its missing parents, as `mkdir -p`. */
  async ensure(dir: string): Promise<void> {
    const top = await mkdir(dir, { recursive: true });
    if (top !== undefined) this.made.push({ top, leaf: dir });
  }

  /** Removes every directory made here that is empty now, innermost first; call it once nothing writes into them. */
  async removeEmpty(): Promise<void> {
    for (const { top, leaf } of [...this.made].reverse()) {
      for (let dir = leaf; ; dir = dirname(dir)) {
        // Not empty (a file landed, or another job's directory is inside), or gone: stop climbing.
        if (!(await rmdir(dir).then(() => true, () => false))) break;
        if (dir === top) break;
      }
    }
    this.made.length = 0;
  }
}
