import type { FsckReport } from '@dfs/sdk';
import { dfsError } from '../test/dfs-error.js';
import { useFakeClient } from '../test/sdk-module.js';
import { runCommand } from '../test/run-command.js';
import Fsck from './fsck.js';

jest.mock('@dfs/sdk', () => jest.requireActual('../test/sdk-module.js'));

const healthy: FsckReport = { filesHealthy: 5, filesUnderReplicated: 0, filesMissing: 0, filesCorrupt: 0, problems: [] };
const unhealthy: FsckReport = {
  filesHealthy: 5,
  filesUnderReplicated: 1,
  filesMissing: 1,
  filesCorrupt: 0,
  problems: [
    { path: '/logs/app.log', health: 'under-replicated', unhealthyChunkIds: ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9', 'c10'] },
    { path: '/one.bin', health: 'missing', unhealthyChunkIds: ['c11'] },
  ],
};

describe('dfs fsck (output and exit codes, with a fake SDK client)', () => {
  const fsck = jest.fn(async (_path?: string) => healthy);
  beforeEach(() => {
    fsck.mockClear();
    useFakeClient({ fsck });
  });

  it('healthy: the files counted by health, exit 0; the path defaults to /', async () => {
    expect(await runCommand(Fsck, [])).toEqual({
      stdout: 'healthy           5 files\nunder-replicated  0 files\nmissing           0 files\ncorrupt           0 files\n',
      stderr: '',
      exitCode: 0,
    });
    expect(fsck).toHaveBeenCalledWith('/');
    await runCommand(Fsck, ['/logs']);
    expect(fsck).toHaveBeenLastCalledWith('/logs');
  });

  it('not healthy: a line per file (health, chunks not healthy, path), the counts, one line on stderr and exit 8', async () => {
    fsck.mockResolvedValue(unhealthy);
    expect(await runCommand(Fsck, [])).toEqual({
      stdout: [
        'HEALTH            CHUNKS  PATH',
        'under-replicated      10  /logs/app.log',
        'missing                1  /one.bin',
        '',
        'healthy           5 files',
        'under-replicated  1 file',
        'missing           1 file',
        'corrupt           0 files',
        '',
      ].join('\n'),
      stderr: 'dfs: 2 of 7 files not healthy (1 under-replicated, 1 missing, 0 corrupt)\n',
      exitCode: 8,
    });
    // --quiet: only the files that are not healthy.
    expect((await runCommand(Fsck, ['-q'])).stdout).toBe('HEALTH            CHUNKS  PATH\nunder-replicated      10  /logs/app.log\nmissing                1  /one.bin\n');
  });

  it('says how many files were not listed when the coordinator cut the list', async () => {
    fsck.mockResolvedValue({ ...unhealthy, filesCorrupt: 3 });
    const { stdout, exitCode } = await runCommand(Fsck, []);
    expect(stdout).toContain('\n(3 more files not healthy, not listed: check a smaller tree)\n');
    expect(exitCode).toBe(8);
  });

  it('--json: one object per file that is not healthy, then the summary', async () => {
    fsck.mockResolvedValue(unhealthy);
    const { stdout, exitCode } = await runCommand(Fsck, ['--json']);
    expect(stdout.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual([
      { path: '/logs/app.log', health: 'under-replicated', unhealthyChunkIds: unhealthy.problems[0]!.unhealthyChunkIds },
      { path: '/one.bin', health: 'missing', unhealthyChunkIds: ['c11'] },
      { filesHealthy: 5, filesUnderReplicated: 1, filesMissing: 1, filesCorrupt: 0 },
    ]);
    expect(exitCode).toBe(8);
    fsck.mockResolvedValue(healthy);
    expect(await runCommand(Fsck, ['--json'])).toEqual({ stdout: '{"filesHealthy":5,"filesUnderReplicated":0,"filesMissing":0,"filesCorrupt":0}\n', stderr: '', exitCode: 0 });
  });

  it('a coordinator still waiting for chunk reports: exit 6 with its message', async () => {
    const message = "fsck needs every datanode's chunk report, and 1 node(s) have not sent theirs since the coordinator started: retry in a few seconds";
    // As the SDK rejects: the coordinator's answer (with its gRPC status) as the cause.
    fsck.mockRejectedValue(dfsError('Unavailable', message, Object.assign(new Error(message), { metadata: new Headers({ 'grpc-status': '14' }) })));
    expect(await runCommand(Fsck, [])).toMatchObject({ stdout: '', stderr: expect.stringMatching(/^dfs: fsck needs every datanode's chunk report.*retry in a few seconds\n$/), exitCode: 6 });
  });
});
