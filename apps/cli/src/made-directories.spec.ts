import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MadeDirectories } from './made-directories.js';

describe('MadeDirectories', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'dfs-cli-made-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('removes the directories it made that are still empty, and keeps those holding files and those that were there', async () => {
    await mkdir(join(root, 'before'));
    const made = new MadeDirectories();
    await made.ensure(join(root, 'before', 'tree', 'a'));
    await made.ensure(join(root, 'before', 'tree', 'b', 'deep'));
    await made.ensure(join(root, 'before', 'tree', 'c'));
    await writeFile(join(root, 'before', 'tree', 'c', 'landed.bin'), 'x');
    await made.removeEmpty();
    expect(await readdir(join(root, 'before'))).toEqual(['tree']);
    expect(await readdir(join(root, 'before', 'tree'))).toEqual(['c']);
    expect(await readdir(join(root, 'before', 'tree', 'c'))).toEqual(['landed.bin']);
  });

  it('removes a whole tree it made when nothing landed, but not the directory it was made in', async () => {
    const made = new MadeDirectories();
    await made.ensure(join(root, 'out', 'x', 'y'));
    await made.ensure(join(root, 'out', 'z'));
    await made.removeEmpty();
    expect(await readdir(root)).toEqual([]);
  });
});
