import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from './exit-codes.js';
import { planUploads } from './plan-uploads.js';

describe('planUploads', () => {
  let dir: string;
  const remoteDirs = new Set(['/', '/backup']);
  const options = { recursive: false, isRemoteDirectory: async (p: string) => remoteDirs.has(p) };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfs-cli-plan-'));
    await mkdir(join(dir, 'photos', '2024', 'empty'), { recursive: true });
    await writeFile(join(dir, 'a.txt'), 'a');
    await writeFile(join(dir, 'b.txt'), 'b');
    await writeFile(join(dir, 'photos', 'cover.jpg'), 'c');
    await writeFile(join(dir, 'photos', '2024', 'x.jpg'), 'x');
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stores one file as the remote path, or into a directory that exists or ends with "/"', async () => {
    const a = join(dir, 'a.txt');
    expect(await planUploads([a], '/docs/a-copy.txt', options)).toEqual([{ local: a, remote: '/docs/a-copy.txt' }]);
    expect(await planUploads([a], '/backup', options)).toEqual([{ local: a, remote: '/backup/a.txt' }]);
    expect(await planUploads([a], '/new/', options)).toEqual([{ local: a, remote: '/new/a.txt' }]);
    expect(await planUploads([a], '/', options)).toEqual([{ local: a, remote: '/a.txt' }]);
  });

  it('puts several files into the remote directory', async () => {
    const jobs = await planUploads([join(dir, 'a.txt'), join(dir, 'b.txt')], '/docs', options);
    expect(jobs.map((j) => j.remote)).toEqual(['/docs/a.txt', '/docs/b.txt']);
  });

  it('with -r, uploads a tree keeping relative paths (into an existing directory under its own name)', async () => {
    const photos = join(dir, 'photos');
    const fresh = await planUploads([photos], '/pics', { ...options, recursive: true });
    expect(fresh).toEqual([
      { local: join(photos, '2024', 'x.jpg'), remote: '/pics/2024/x.jpg' },
      { local: join(photos, 'cover.jpg'), remote: '/pics/cover.jpg' },
    ]);
    const into = await planUploads([photos + '/'], '/backup', { ...options, recursive: true });
    expect(into.map((j) => j.remote)).toEqual(['/backup/photos/2024/x.jpg', '/backup/photos/cover.jpg']);
  });

  it('refuses a directory without -r, and a local path that is not there, before uploading anything', async () => {
    await expect(planUploads([join(dir, 'a.txt'), join(dir, 'photos')], '/x', options)).rejects.toMatchObject({
      exitCode: ExitCode.WrongKind,
      message: `${join(dir, 'photos')} is a directory: use -r to upload it and everything under it`,
    });
    await expect(planUploads([join(dir, 'nope.txt')], '/x', options)).rejects.toMatchObject({
      exitCode: ExitCode.NotFound,
      message: `${join(dir, 'nope.txt')}: no such local file or directory`,
    });
  });

  it('with -r, refuses a FIFO inside the tree as it refuses one given directly (exit 5), naming it', async () => {
    const tree = join(dir, 'with-fifo');
    await mkdir(join(tree, 'sub'), { recursive: true });
    await writeFile(join(tree, 'a.txt'), 'a');
    const fifo = join(tree, 'sub', 'pipe');
    execFileSync('mkfifo', [fifo]);
    const refused = { exitCode: ExitCode.WrongKind, message: `${fifo} is neither a file nor a directory` };
    await expect(planUploads([fifo], '/x', options)).rejects.toMatchObject(refused);
    await expect(planUploads([tree], '/x', { ...options, recursive: true })).rejects.toMatchObject(refused);
  });

  it('refuses two sources for one remote file (which would win depends on which upload commits last)', async () => {
    await mkdir(join(dir, 'other'), { recursive: true });
    await writeFile(join(dir, 'other', 'a.txt'), 'other a');
    const [a, otherA] = [join(dir, 'a.txt'), join(dir, 'other', 'a.txt')];
    await expect(planUploads([a, otherA], '/backup', options)).rejects.toMatchObject({
      exitCode: ExitCode.Usage,
      message: `${a} and ${otherA} would both be uploaded to /backup/a.txt: upload them to different names`,
    });
    await expect(planUploads([a, a], '/backup', options)).rejects.toMatchObject({ exitCode: ExitCode.Usage });
  });

  it('takes stdin ("-") alone, and only to a file name', async () => {
    expect(await planUploads(['-'], '/in.bin', options)).toEqual([{ local: '-', remote: '/in.bin' }]);
    await expect(planUploads(['-', join(dir, 'a.txt')], '/x', options)).rejects.toMatchObject({ exitCode: ExitCode.Usage });
    await expect(planUploads(['-'], '/backup', options)).rejects.toMatchObject({ exitCode: ExitCode.Usage });
  });
});
