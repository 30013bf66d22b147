import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientOptions, useFakeClient } from '../test/sdk-module.js';
import { dfsError } from '../test/dfs-error.js';
import { fakeFile } from '../test/fake-files.js';
import { runCommand } from '../test/run-command.js';
import Put from './put.js';

jest.mock('@dfs/sdk', () => jest.requireActual('../test/sdk-module.js'));

describe('dfs put (flags and output, with a fake SDK client)', () => {
  let dir: string;
  let local: string;
  const upload = jest.fn(async (remote: string, _source?: unknown, _options?: unknown) => fakeFile(remote, 5));
  const stat = jest.fn(async (path: string): Promise<never> => {
    throw dfsError('NotFound', `${path} does not exist`);
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfs-cli-put-'));
    local = join(dir, 'hello.txt');
    await writeFile(local, 'hello');
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    upload.mockClear();
    useFakeClient({ upload, stat });
  });

  it('passes sizes like 64KiB, replication, concurrency and overwrite to the SDK', async () => {
    const result = await runCommand(Put, ['--chunk-size', '64KiB', '--replication', '2', '--concurrency', '8', '--overwrite', local, '/docs/hello.txt']);
    expect(result).toEqual({ stdout: `uploaded ${local} to /docs/hello.txt (5 B)\n`, stderr: '', exitCode: 0 });
    expect(upload).toHaveBeenCalledWith(
      '/docs/hello.txt',
      local,
      expect.objectContaining({ chunkSize: 65536, replication: 2, concurrency: 8, overwrite: true, signal: expect.any(AbortSignal) }),
    );
  });

  it('leaves the SDK defaults alone when no flag is given', async () => {
    await runCommand(Put, [local, '/docs/hello.txt']);
    expect(upload.mock.calls[0]![2]).toMatchObject({ chunkSize: undefined, replication: undefined, concurrency: undefined, overwrite: false });
    expect(clientOptions()).not.toHaveProperty('maxChunkWrites');
    expect(clientOptions()).not.toHaveProperty('maxChunkReads');
  });

  it('makes --concurrency the whole command\'s chunk budget (the client\'s slots), not capped by the SDK defaults', async () => {
    await runCommand(Put, ['--concurrency', '16', local, '/docs/hello.txt']);
    expect(clientOptions()).toMatchObject({ maxChunkWrites: 16, maxChunkReads: 16 });
  });

  it('--json prints the file info; --quiet prints nothing', async () => {
    expect(JSON.parse((await runCommand(Put, ['--json', local, '/h.txt'])).stdout)).toMatchObject({ path: '/h.txt', size: 5 });
    expect((await runCommand(Put, ['-q', local, '/h.txt'])).stdout).toBe('');
  });

  describe('on a terminal', () => {
    const tty = { out: process.stdout.isTTY, err: process.stderr.isTTY };
    beforeEach(() => {
      process.stdout.isTTY = true;
      process.stderr.isTTY = true;
      upload.mockImplementation(async (remote: string, _source?: unknown, options?: unknown) => {
        (options as { onProgress: (p: { loaded: number; total: number; chunks: number }) => void }).onProgress({ loaded: 5, total: 5, chunks: 1 });
        return fakeFile(remote, 5);
      });
    });
    afterEach(() => {
      process.stdout.isTTY = tty.out;
      process.stderr.isTTY = tty.err;
    });

    it('draws a progress bar on stderr and clears it; stdout carries only the result', async () => {
      const result = await runCommand(Put, [local, '/p.txt']);
      const clearLine = '\r\x1b[K';
      expect(result.stderr.startsWith(clearLine)).toBe(true);
      expect(result.stderr).toContain('hello.txt  [##############]  100%  5 B/5 B');
      expect(result.stderr.endsWith(clearLine)).toBe(true);
      expect(result.stdout).toBe(`uploaded ${local} to /p.txt (5 B)\n`);
    });

    it.each([['--quiet'], ['--json']])('draws no bar with %s', async (flag) => {
      expect((await runCommand(Put, [flag, local, '/p.txt'])).stderr).toBe('');
    });
  });

  it.each([
    [['--chunk-size', 'lots', 'a', '/b'], 'dfs: --chunk-size: expected a size such as 8MiB, 64KiB or 1048576, not "lots" (see --help)\n'],
    [['--replication', 'x', 'a', '/b'], 'dfs: --replication: Expected an integer but received: x (see --help)\n'],
    [['/only-one-arg'], 'dfs: missing argument: <local> (see --help)\n'],
  ])('rejects %j as a usage error (exit 2) with one line on stderr', async (argv, stderr) => {
    const result = await runCommand(Put, argv);
    expect(result).toEqual({ stdout: '', stderr, exitCode: 2 });
    expect(upload).not.toHaveBeenCalled();
  });

  it('maps an SDK error to its exit code with the message on one line', async () => {
    upload.mockRejectedValueOnce(dfsError('AlreadyExists', '/docs/hello.txt exists: pass overwrite to replace it'));
    const result = await runCommand(Put, [local, '/docs/hello.txt']);
    expect(result).toEqual({ stdout: '', stderr: 'dfs: /docs/hello.txt exists: pass --overwrite to replace it\n', exitCode: 4 });
  });
});
