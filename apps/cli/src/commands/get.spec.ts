import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useFakeClient } from '../test/sdk-module.js';
import { dfsError } from '../test/dfs-error.js';
import { fakeFile } from '../test/fake-files.js';
import { runCommand } from '../test/run-command.js';
import Get from './get.js';

jest.mock('@dfs/sdk', () => jest.requireActual('../test/sdk-module.js'));

// Ctrl-C pressed twice in a row: the second press must not exit before the SDK
// has removed its partial file (it used to call process.exit(130) at once).
describe('dfs get, interrupted by two Ctrl-C presses (with a fake SDK client)', () => {
  let dir: string;
  let pressCtrlC: () => void;
  let exited: (code: number) => void;
  const exits: Array<{ code: number; partialLeft: boolean }> = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfs-cli-get-'));
    exits.length = 0;
    const on = process.on.bind(process);
    // The command's SIGINT handler, called directly: emitting SIGINT would reach jest's own listeners too.
    jest.spyOn(process, 'on').mockImplementation(((event: string, listener: () => void) => {
      if (event === 'SIGINT') pressCtrlC = listener;
      else on(event, listener);
      return process;
    }) as typeof process.on);
    jest.spyOn(process, 'exit').mockImplementation(((code: number) => {
      exits.push({ code, partialLeft: existsSync(partialOf(dir)) });
      exited(code);
    }) as typeof process.exit);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  /** A download as the SDK does it: a partial file at once, removed on abort once `cleanup` (its unlink) has resolved. */
  function fakeDownload(cleanup: () => Promise<unknown>) {
    return async (_remote: string, local: string, options: { signal: AbortSignal }) => {
      await writeFile(`${local}.dfs-partial-abc`, '');
      // The first press: abort. The second, right after (before cleanup could run).
      pressCtrlC();
      pressCtrlC();
      if (!options.signal.aborted) await new Promise((resolve) => options.signal.addEventListener('abort', resolve, { once: true }));
      await cleanup();
      await rm(`${local}.dfs-partial-abc`);
      throw dfsError('Canceled', 'the operation was canceled');
    };
  }

  function useDownload(cleanup: () => Promise<unknown>): void {
    const stat = async (path: string) => fakeFile(path, 5);
    useFakeClient({ stat, download: fakeDownload(cleanup) as never });
  }

  it('waits for the aborted download to remove its partial file, then exits 130', async () => {
    exited = () => undefined;
    useDownload(() => new Promise((resolve) => setTimeout(resolve, 100)));
    const result = await runCommand(Get, ['/docs/report.pdf', join(dir, 'report.pdf')]);
    expect(exits).toEqual([]);
    expect(result).toEqual({ stdout: '', stderr: 'dfs: interrupted\n', exitCode: 130 });
    expect(existsSync(partialOf(dir))).toBe(false);
  });

  it('exits 130 anyway when cleanup hangs, after a bounded wait (2 s)', async () => {
    const forced = new Promise<number>((resolve) => (exited = resolve));
    const started = Date.now();
    // Cleanup ends only once dfs has given up on it (so the command can finish in the test).
    useDownload(() => forced);
    const result = await runCommand(Get, ['/docs/report.pdf', join(dir, 'report.pdf')]);
    expect(exits).toEqual([{ code: 130, partialLeft: true }]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(result.exitCode).toBe(130);
  });
});

function partialOf(dir: string): string {
  return join(dir, 'report.pdf.dfs-partial-abc');
}
