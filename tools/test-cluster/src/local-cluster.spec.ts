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
const started: ChildProcess[] = [];
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
  await rm(dir, { recursive: true, force: true });
});

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
  const child = spawn(process.execPath, [LOCAL_CLUSTER], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const check = () => (out.includes('DFS running') ? resolve() : undefined);
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`quickstart exited with ${code}: ${out}`)));
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
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function interrupt(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  return exited;
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
