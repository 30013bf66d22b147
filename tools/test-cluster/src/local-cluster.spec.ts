// The quickstart (`npm start` runs dist/local-cluster.js): a cluster comes up
// in the foreground, the built `dfs` works against it, Ctrl-C stops every
// process cleanly, and a second start finds the files stored before.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { freePorts } from './start-etcd.js';
import { workspaceRoot } from './workspace-root.js';

jest.setTimeout(120_000);

const LOCAL_CLUSTER = join(workspaceRoot(), 'tools', 'test-cluster', 'dist', 'local-cluster.js');
const DFS = join(workspaceRoot(), 'apps', 'cli', 'bin', 'run.js');
/** Every `dfs` run, killed in teardown if still running. */
const started: ChildProcess[] = [];
/** Every quickstart: each leads a process group of its own, with its coordinator and datanodes in it. */
const quickstarts: ChildProcess[] = [];
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dfs-quickstart-'));
  const [coordinator] = await freePorts(1);
  const firstDatanode = await freeRun(3);
  env = { ...process.env, DFS_LOCAL_COORDINATOR_PORT: String(coordinator), DFS_LOCAL_FIRST_PORT: String(firstDatanode), DFS_COORDINATOR: `127.0.0.1:${coordinator}` };
});

afterAll(async () => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await Promise.all(quickstarts.map(stopQuickstart));
  await rm(dir, { recursive: true, force: true });
});

/** How long a quickstart gets to stop its servers on Ctrl-C in teardown before its process group is killed. */
const STOP_GRACE_MS = 20_000;

/**
 * Teardown, also after a failed assertion: the quickstart stops its servers
 * only on SIGINT/SIGTERM (SIGKILL would leave them running), so it gets a
 * SIGINT first; then whatever is left of its process group (only the group
 * this spec started) is killed, in case the wrapper hung or died first.
 */
async function stopQuickstart(child: ChildProcess): Promise<void> {
  if (!exited(child)) {
    child.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closedWith(child), new Promise((resolve) => (timer = setTimeout(resolve, STOP_GRACE_MS)))]);
    clearTimeout(timer);
  }
  killGroup(child);
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // ESRCH: every process of the group is gone already
  }
}

// Last resort if the test run itself dies: the groups are not in jest's own group.
process.once('exit', () => quickstarts.forEach(killGroup));

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

const closed = new WeakMap<ChildProcess, Promise<number | null>>();

/** Notes when `child` closes: exited, and its stdout and stderr read to the end ('close', not 'exit'). */
function track(child: ChildProcess): ChildProcess {
  closed.set(child, new Promise((resolve) => child.once('close', (code) => resolve(code))));
  return child;
}

/** Resolves with the exit code once the process exited and all its output is read. */
function closedWith(child: ChildProcess): Promise<number | null> {
  return closed.get(child)!;
}

/** The first of `count` consecutive free loopback ports (the quickstart numbers its datanodes from one port). */
async function freeRun(count: number): Promise<number> {
  for (;;) {
    const [first] = await freePorts(1);
    const free = await Promise.all(Array.from({ length: count }, (_, i) => canListen(first! + i)));
    if (free.every(Boolean)) return first!;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Starts the quickstart in `dir`; resolves with its output so far once it says it is running. */
async function startQuickstart(): Promise<{ child: ChildProcess; output: () => string }> {
  // detached: a process group of its own, so that teardown can kill the servers with it.
  const child = track(spawn(process.execPath, [LOCAL_CLUSTER], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true }));
  quickstarts.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const check = () => (out.includes('DFS running') ? resolve() : undefined);
    child.stdout!.on('data', check);
    void closedWith(child).then((code) => reject(new Error(`quickstart exited with ${code}: ${out}`)));
  });
  return { child, output: () => out };
}

function dfs(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [DFS, ...args], { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
    started.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin!.end(input ?? '');
    // 'close': all of stdout and stderr has been read by then.
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Ctrl-C: resolves with the exit code once all its output (the "stopped" lines) is read. */
async function interrupt(child: ChildProcess): Promise<number | null> {
  child.kill('SIGINT');
  return closedWith(child);
}

describe('the quickstart', () => {
  it('serves dfs put, ls and get; stops on Ctrl-C; keeps the files for the next start', async () => {
    const first = await startQuickstart();
    expect(first.output()).toContain('npx dfs put');
    expect(await dfs(['put', '-', '/hello.txt'], 'hello\n')).toMatchObject({ code: 0, stderr: '' });
    expect((await dfs(['ls', '/'])).stdout).toContain('hello.txt');
    expect(await dfs(['get', '/hello.txt', '-'])).toMatchObject({ code: 0, stdout: 'hello\n' });
    expect(await interrupt(first.child)).toBe(0);
    expect(first.output().match(/stopped/g)).toHaveLength(4);
    expect((await readdir(join(dir, '.dfs'))).sort()).toEqual(expect.arrayContaining(['coordinator', 'datanode-1', 'datanode-2', 'datanode-3']));

    const second = await startQuickstart();
    expect(await dfs(['get', '/hello.txt', '-'])).toMatchObject({ code: 0, stdout: 'hello\n' });
    expect(await interrupt(second.child)).toBe(0);
  });
});
