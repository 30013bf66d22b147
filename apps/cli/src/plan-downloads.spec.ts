import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileInfo } from '@dfs/sdk';
import { ExitCode } from './exit-codes.js';
import { planDownloads } from './plan-downloads.js';
import { dfsError } from './test/dfs-error.js';

const file = (path: string, size = 1): FileInfo => ({ path, isDirectory: false, size, sha256: 'ab', chunkSize: 8, replication: 3, chunkCount: 1, fileId: 'f' });
const directory = (path: string): FileInfo => ({ path, isDirectory: true, size: 0, sha256: '', chunkSize: 0, replication: 0, chunkCount: 0, fileId: '' });

const tree: FileInfo[] = [file('/backup/photos/2024/x.jpg', 5), file('/backup/photos/cover.jpg', 7)];
const remote = {
  stat: async (p: string) => {
    if (p === '/backup/photos' || p === '/backup') return directory(p);
    const found = [...tree, file('/docs/report.pdf', 3)].find((f) => f.path === p);
    if (!found) throw dfsError('NotFound', `${p} does not exist`);
    return found;
  },
  list: async function* (p: string) {
    yield* tree.filter((f) => f.path.startsWith(p + '/'));
  },
};

describe('planDownloads', () => {
  let dir: string;
  const options = { recursive: false, overwrite: false, ...remote };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfs-cli-plan-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a file to the local path, or into a local directory under its own name', async () => {
    expect(await planDownloads('/docs/report.pdf', join(dir, 'r.pdf'), options)).toEqual([{ remote: '/docs/report.pdf', local: join(dir, 'r.pdf'), size: 3 }]);
    expect((await planDownloads('/docs/report.pdf', dir, options))[0]!.local).toBe(join(dir, 'report.pdf'));
    expect((await planDownloads('/docs/report.pdf', undefined, options))[0]!.local).toBe('report.pdf');
  });

  it('sends one file to stdout for "-", never a directory', async () => {
    expect(await planDownloads('/docs/report.pdf', '-', options)).toEqual([{ remote: '/docs/report.pdf', local: '-', size: 3 }]);
    await expect(planDownloads('/backup', '-', { ...options, recursive: true })).rejects.toMatchObject({ exitCode: ExitCode.WrongKind });
  });

  it('with -r, recreates the tree: at a new path, or inside an existing directory', async () => {
    const fresh = await planDownloads('/backup/photos', join(dir, 'restored'), { ...options, recursive: true });
    expect(fresh.map((j) => j.local)).toEqual([join(dir, 'restored', '2024', 'x.jpg'), join(dir, 'restored', 'cover.jpg')]);
    const into = await planDownloads('/backup/photos/', dir, { ...options, recursive: true });
    expect(into.map((j) => j.local)).toEqual([join(dir, 'photos', '2024', 'x.jpg'), join(dir, 'photos', 'cover.jpg')]);
  });

  it('refuses a directory without -r', async () => {
    await expect(planDownloads('/backup/photos', dir, options)).rejects.toMatchObject({
      exitCode: ExitCode.WrongKind,
      message: '/backup/photos is a directory: use -r to download it and everything under it',
    });
  });

  it('keeps existing local files unless --overwrite', async () => {
    await writeFile(join(dir, 'report.pdf'), 'old');
    await expect(planDownloads('/docs/report.pdf', dir, options)).rejects.toMatchObject({
      exitCode: ExitCode.AlreadyExists,
      message: `${join(dir, 'report.pdf')} exists: pass --overwrite to replace it`,
    });
    expect(await planDownloads('/docs/report.pdf', dir, { ...options, overwrite: true })).toHaveLength(1);
  });

  it('refuses a directory where a file would land, --overwrite or not (exit 5), before downloading', async () => {
    await mkdir(join(dir, 'report.pdf'));
    const refused = { exitCode: ExitCode.WrongKind, message: `${join(dir, 'report.pdf')} is a directory: a file cannot replace it; remove it or name another target` };
    await expect(planDownloads('/docs/report.pdf', dir, { ...options, overwrite: true })).rejects.toMatchObject(refused);
    await expect(planDownloads('/docs/report.pdf', dir, options)).rejects.toMatchObject(refused);
    await mkdir(join(dir, 'restored', 'photos', 'cover.jpg'), { recursive: true });
    await expect(planDownloads('/backup/photos', join(dir, 'restored'), { ...options, recursive: true, overwrite: true })).rejects.toMatchObject({
      exitCode: ExitCode.WrongKind,
    });
  });

  it('refuses a local file where a directory is needed (exit 5), before downloading', async () => {
    await writeFile(join(dir, 'notes.txt'), 'n');
    await expect(planDownloads('/docs/report.pdf', join(dir, 'notes.txt') + '/', options)).rejects.toMatchObject({
      exitCode: ExitCode.WrongKind,
      message: `${join(dir, 'notes.txt')} is a file, not a directory: cannot download into it`,
    });
    await expect(planDownloads('/backup/photos', join(dir, 'notes.txt'), { ...options, recursive: true, overwrite: true })).rejects.toMatchObject({
      exitCode: ExitCode.WrongKind,
      message: `${join(dir, 'notes.txt')} is a file, not a directory: cannot download /backup/photos into it`,
    });
  });
});
