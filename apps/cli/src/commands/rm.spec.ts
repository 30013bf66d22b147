import { useFakeClient } from '../test/sdk-module.js';
import { fakeDirectory, fakeFile, listOf } from '../test/fake-files.js';
import { runCommand } from '../test/run-command.js';
import Mv from './mv.js';
import Rm from './rm.js';
import Stat from './stat.js';

jest.mock('@dfs/sdk', () => jest.requireActual('../test/sdk-module.js'));

describe('dfs rm, mv and stat (with a fake SDK client)', () => {
  const del = jest.fn(async () => ({ filesDeleted: 2 }));
  const rename = jest.fn(async () => ({ filesRenamed: 1 }));
  const stat = jest.fn(async (path: string) => (path === '/a' || path === '/archive' ? fakeDirectory(path) : fakeFile(path, 1536)));
  const list = jest.fn(() => listOf([fakeFile('/a/x', 1), fakeFile('/a/y/z', 2)]));

  beforeEach(() => {
    jest.clearAllMocks();
    useFakeClient({ delete: del, rename, stat, list });
  });

  it('rm --dry-run lists every file that would go, then the directory, and deletes nothing', async () => {
    const result = await runCommand(Rm, ['-r', '--dry-run', '/a']);
    expect(result).toEqual({ stdout: '/a/x\n/a/y/z\n/a/\n', stderr: '', exitCode: 0 });
    expect(del).not.toHaveBeenCalled();
  });

  it('rm -r --dry-run / is refused as rm -r / is (exit 2), listing nothing', async () => {
    stat.mockImplementationOnce(async (path: string) => fakeDirectory(path));
    expect(await runCommand(Rm, ['-r', '--dry-run', '/'])).toEqual({ stdout: '', stderr: 'dfs: refusing to delete "/": delete its entries instead\n', exitCode: 2 });
    expect(list).not.toHaveBeenCalled();
    expect(del).not.toHaveBeenCalled();
  });

  it('rm refuses a directory without -r (exit 5), and deletes with it', async () => {
    expect(await runCommand(Rm, ['/a'])).toEqual({ stdout: '', stderr: 'dfs: /a is a directory: use -r to delete it and everything under it\n', exitCode: 5 });
    expect(await runCommand(Rm, ['-r', '/a'])).toEqual({ stdout: 'deleted /a (2 files)\n', stderr: '', exitCode: 0 });
    expect(del).toHaveBeenCalledWith('/a', { recursive: true });
    expect(JSON.parse((await runCommand(Rm, ['-r', '--json', '/a'])).stdout)).toEqual({ path: '/a', filesDeleted: 2 });
  });

  it('mv moves into an existing directory under the same name', async () => {
    expect(await runCommand(Mv, ['/notes/x.txt', '/archive'])).toEqual({ stdout: 'renamed /notes/x.txt to /archive/x.txt (1 file)\n', stderr: '', exitCode: 0 });
    expect(rename).toHaveBeenCalledWith('/notes/x.txt', '/archive/x.txt', { overwrite: false });
  });

  it('stat prints aligned fields, bytes or -h, and --json', async () => {
    const { stdout } = await runCommand(Stat, ['-h', '/f']);
    expect(stdout).toContain('size         1.5 KiB\n');
    expect(stdout).toContain('replication  3\n');
    expect((await runCommand(Stat, ['/f'])).stdout).toContain('size         1536\n');
    expect(JSON.parse((await runCommand(Stat, ['--json', '/f'])).stdout)).toMatchObject({ path: '/f', size: 1536, isDirectory: false });
  });
});
