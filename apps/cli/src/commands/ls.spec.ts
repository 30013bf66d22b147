import { useFakeClient } from '../test/sdk-module.js';
import { fakeDirectory, fakeFile, listOf } from '../test/fake-files.js';
import { runCommand } from '../test/run-command.js';
import Ls from './ls.js';

jest.mock('@dfs/sdk', () => jest.requireActual('../test/sdk-module.js'));

const MiB = 1024 * 1024;
const entries = [fakeDirectory('/data/2024'), fakeFile('/data/a.bin', 20 * MiB), fakeFile('/data/b.txt', 12)];

describe('dfs ls (formatting, with a fake SDK client)', () => {
  const list = jest.fn((_path: string, _options?: { recursive?: boolean }) => listOf(entries));
  const stat = jest.fn(async (path: string) => (path === '/data/b.txt' ? entries[2]! : fakeDirectory(path)));

  beforeEach(() => {
    list.mockClear();
    useFakeClient({ list, stat });
  });

  it('prints one path per line, directories with a trailing "/"', async () => {
    const result = await runCommand(Ls, ['/data']);
    expect(result).toEqual({ stdout: '/data/2024/\n/data/a.bin\n/data/b.txt\n', stderr: '', exitCode: 0 });
    expect(list).toHaveBeenCalledWith('/data', { recursive: false });
  });

  it('lists the root by default, and a single file as itself', async () => {
    await runCommand(Ls, []);
    expect(stat).toHaveBeenCalledWith('/');
    expect((await runCommand(Ls, ['/data/b.txt'])).stdout).toBe('/data/b.txt\n');
  });

  it('-l: a header, then type, size in bytes, chunks, replication, time, path', async () => {
    const { stdout } = await runCommand(Ls, ['-l', '/data']);
    expect(stdout.split('\n')).toEqual([
      'TYPE      SIZE  CHUNKS  REPL  CREATED               PATH',
      'dir          -       -     -  -                     /data/2024/',
      'file  20971520       3     3  2025-01-31 12:00:00Z  /data/a.bin',
      'file        12       1     3  2025-01-31 12:00:00Z  /data/b.txt',
      '',
    ]);
  });

  it('-lh: sizes for people', async () => {
    const { stdout } = await runCommand(Ls, ['-lh', '/data']);
    expect(stdout).toContain('file  20 MiB       3     3');
    expect(stdout).toContain('file    12 B       1     3');
  });

  it('-r asks the SDK for every file below', async () => {
    await runCommand(Ls, ['-r', '/data']);
    expect(list).toHaveBeenCalledWith('/data', { recursive: true });
  });

  it('--json: one object per line, with fixed keys', async () => {
    const { stdout } = await runCommand(Ls, ['--json', '/data']);
    const lines = stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { path: '/data/2024', isDirectory: true },
      {
        path: '/data/a.bin',
        isDirectory: false,
        size: 20 * MiB,
        chunkSize: 8 * MiB,
        chunkCount: 3,
        replication: 3,
        sha256: 'ab'.repeat(32),
        createdAt: '2025-01-31T12:00:00.000Z',
        fileId: 'id-/data/a.bin',
      },
      expect.objectContaining({ path: '/data/b.txt', size: 12 }),
    ]);
  });

  it('stops fetching pages once stdout\'s reader has gone (ls -r / | head -1), and exits 0 quietly', async () => {
    const PAGES = 50;
    let pagesServed = 0;
    let pagesAfterClose = 0;
    let closed = false;
    // Paged like the SDK's listing: each page is "fetched" when the caller iterates past the previous one.
    async function* paged(): AsyncGenerator<ReturnType<typeof fakeFile>> {
      for (let page = 0; page < PAGES; page++) {
        pagesServed++;
        if (closed) pagesAfterClose++;
        for (let i = 0; i < 10; i++) {
          yield fakeFile(`/p${page}/f${i}`, 1);
          // The reader (head -1) exits after the first line: node emits EPIPE on stdout, which oclif swallows.
          if (!closed) {
            closed = true;
            process.stdout.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
          }
        }
      }
    }
    list.mockImplementationOnce(() => paged());
    const result = await runCommand(Ls, ['-r', '/']);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('/p0/f0\n');
    expect(pagesAfterClose).toBe(0);
    expect(pagesServed).toBe(1);
  });

  it('rejects an unknown flag as a usage error (exit 2) on one line', async () => {
    const result = await runCommand(Ls, ['--bogus']);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('dfs: Nonexistent flag: --bogus (see --help)\n');
  });
});
