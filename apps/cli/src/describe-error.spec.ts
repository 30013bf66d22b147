import { ConfigError } from '@dfs/config';
import { Errors } from '@oclif/core';
import { CliError } from './cli-error.js';
import { describeError, type ErrorContext } from './describe-error.js';
import { ExitCode } from './exit-codes.js';
import { dfsError } from './test/dfs-error.js';

const context: ErrorContext = { coordinators: ['127.0.0.1:8080'], coordinatorSource: 'DFS_COORDINATOR', interrupted: false };

describe('describeError', () => {
  it.each([
    ['NotFound', ExitCode.NotFound],
    ['AlreadyExists', ExitCode.AlreadyExists],
    ['InvalidArgument', ExitCode.Usage],
    ['FailedPrecondition', ExitCode.WrongKind],
    ['Unavailable', ExitCode.Unavailable],
    ['DeadlineExceeded', ExitCode.Unavailable],
    ['DataLoss', ExitCode.DataLoss],
    ['Internal', ExitCode.Error],
  ] as const)('maps an SDK %s to exit code %d, keeping its message', (code, exitCode) => {
    expect(describeError(dfsError(code, '/x does not exist'), context)).toEqual({ message: '/x does not exist', exitCode });
  });

  it('names the coordinator it could not reach and says what to check', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8080'), { code: 'ECONNREFUSED', address: '127.0.0.1', port: 8080 });
    const report = describeError(dfsError('Unavailable', 'no coordinator answered', refused), context);
    expect(report.exitCode).toBe(ExitCode.Unavailable);
    expect(report.message).toBe(
      'cannot reach the coordinator at 127.0.0.1:8080 (no coordinator answered): check that it is running and that DFS_COORDINATOR names it',
    );
  });

  it('does not blame the coordinator for an Unavailable it sent itself, even one that names it', () => {
    const answered = Object.assign(new Error('[unavailable] fsck needs every report since the coordinator started'), { metadata: new Headers({ 'grpc-status': '14' }) });
    const report = describeError(dfsError('Unavailable', 'fsck needs every report since the coordinator started', answered), context);
    expect(report).toEqual({ message: 'fsck needs every report since the coordinator started', exitCode: ExitCode.Unavailable });
  });

  it('does not blame the coordinator for a datanode that is down', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9101'), { code: 'ECONNREFUSED', address: '127.0.0.1', port: 9101 });
    const report = describeError(dfsError('Unavailable', 'not enough replicas', refused), context);
    expect(report.message).toBe('not enough replicas');
  });

  it('reports anything after Ctrl-C as interrupted (130)', () => {
    expect(describeError(dfsError('Canceled', 'the operation was canceled'), { ...context, interrupted: true })).toEqual({
      message: 'interrupted',
      exitCode: ExitCode.Interrupted,
    });
  });

  it("keeps the CLI's own errors and flattens messages to one line", () => {
    expect(describeError(new CliError('a\n  b', ExitCode.WrongKind), context)).toEqual({ message: 'a; b', exitCode: ExitCode.WrongKind });
  });

  it("turns oclif's parse errors into one usage line (exit 2)", () => {
    const err = Object.assign(new Errors.CLIError('Missing 1 required arg:\nremote  DFS path\nSee more help with --help'), { args: [{ name: 'remote' }] });
    expect(describeError(err, context)).toEqual({ message: 'missing argument: <remote> (see --help)', exitCode: ExitCode.Usage });
    const unexpected = new Errors.CLIError('Unexpected argument: extra\nSee more help with --help');
    expect(describeError(unexpected, context)).toEqual({ message: 'Unexpected argument: extra (see --help)', exitCode: ExitCode.Usage });
    const flag = new Error('Parsing --replication \n\tExpected an integer but received: x\nSee more help with --help');
    expect(describeError(flag, context)).toEqual({ message: '--replication: Expected an integer but received: x (see --help)', exitCode: ExitCode.Usage });
  });

  it('maps local file system errors by errno', () => {
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, open 'x.txt'"), { code: 'ENOENT', path: 'x.txt' });
    expect(describeError(enoent, context)).toEqual({ message: 'x.txt: no such file or directory', exitCode: ExitCode.NotFound });
  });

  // Local errors reach describeError as the SDK wraps them (libs/sdk/src/local-file-error.ts): a cluster-ish code, the errno as cause.
  const errno = (code: string, message: string, more: object = {}) => Object.assign(new Error(message), { code, ...more });

  it('a full local disk is exit 1, not 6 (cluster unavailable: a script would retry for ever)', () => {
    const full = dfsError('ResourceExhausted', 'cannot create /d/.r.pdf.dfs-partial-1 next to r.pdf: the local disk is full', errno('ENOSPC', 'ENOSPC: no space left on device, write'));
    expect(describeError(full, context)).toEqual({ message: 'cannot create /d/.r.pdf.dfs-partial-1 next to r.pdf: the local disk is full', exitCode: ExitCode.Error });
    const quota = describeError(dfsError('Unknown', 'cannot write x', errno('EDQUOT', 'EDQUOT: disk quota exceeded, write')), context);
    expect(quota).toEqual({ message: 'cannot write x (the local disk is full)', exitCode: ExitCode.Error });
    // A ResourceExhausted from the cluster stays 6.
    expect(describeError(dfsError('ResourceExhausted', 'datanodes are full'), context).exitCode).toBe(ExitCode.Unavailable);
  });

  it('a directory, or a file, in the way of a local path is exit 5 (wrong kind), saying what is in the way', () => {
    const rename = errno('EISDIR', "EISDIR: illegal operation on a directory, rename '.report.pdf.dfs-partial-1' -> 'report.pdf'", {
      syscall: 'rename', path: '.report.pdf.dfs-partial-1', dest: 'report.pdf',
    });
    expect(describeError(dfsError('InvalidArgument', 'cannot rename .report.pdf.dfs-partial-1 to report.pdf: it is a directory', rename), context)).toEqual({
      message: 'cannot rename .report.pdf.dfs-partial-1 to report.pdf: it is a directory (report.pdf is a directory, in the way of the file)',
      exitCode: ExitCode.WrongKind,
    });
    const mkdir = errno('EEXIST', "EEXIST: file already exists, mkdir 'notes.txt'", { syscall: 'mkdir', path: 'notes.txt' });
    expect(describeError(mkdir, context)).toEqual({ message: 'notes.txt: a local file is in the way where a directory is needed', exitCode: ExitCode.WrongKind });
    const notDir = errno('ENOTDIR', "ENOTDIR: not a directory, open 'notes.txt/r.pdf'", { syscall: 'open', path: 'notes.txt/r.pdf' });
    expect(describeError(notDir, context).exitCode).toBe(ExitCode.WrongKind);
    // EEXIST from anything but mkdir is still "already exists".
    expect(describeError(errno('EEXIST', "EEXIST: file already exists, open 'x'", { syscall: 'open', path: 'x' }), context).exitCode).toBe(ExitCode.AlreadyExists);
  });

  it('a file that changed during the transfer (by its reason, not its wording) is exit 1 (run it again), not 5 (wrong kind)', () => {
    const uploaded = dfsError('FailedPrecondition', 'local file a.bin changed while it was being uploaded (size or modification time); upload it again', undefined, 'SOURCE_CHANGED');
    expect(describeError(uploaded, context)).toEqual({ message: uploaded.message, exitCode: ExitCode.Error });
    const read = dfsError('FailedPrecondition', '/docs/r.pdf was replaced, moved or deleted while it was being read', undefined, 'VERSION_GONE');
    expect(describeError(read, context)).toEqual({ message: '/docs/r.pdf was replaced, moved or deleted while it was being read: run the command again', exitCode: ExitCode.Error });
    expect(describeError(dfsError('FailedPrecondition', '/a is a file, not a directory'), context).exitCode).toBe(ExitCode.WrongKind);
    // The same words without the reason are not taken for it.
    expect(describeError(dfsError('FailedPrecondition', '/p changed while it was being read'), context).exitCode).toBe(ExitCode.WrongKind);
  });

  it('reports a bad config file with exit 78 and every problem on one line', () => {
    const err = new ConfigError(['/h/.config/dfs/config.yaml:1: coordinator="x": expected host:port', 'DFS_COORDINATOR="y": expected host:port']);
    expect(describeError(err, context)).toEqual({
      message: 'invalid configuration: /h/.config/dfs/config.yaml:1: coordinator="x": expected host:port; DFS_COORDINATOR="y": expected host:port',
      exitCode: ExitCode.Config,
    });
  });
});
