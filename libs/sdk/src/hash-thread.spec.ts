import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Worker } from 'node:worker_threads';
import { Code } from '@dfs/proto';
import { HashThread } from './hash-thread.js';
import { MiB, scratchDir, sha256 } from './test/sources.js';

let dir: string;
let cleanup: () => Promise<void>;
let thread: HashThread;
beforeAll(async () => {
  ({ dir, cleanup } = await scratchDir());
});
beforeEach(() => {
  thread = new HashThread();
});
afterEach(async () => {
  await thread.close();
});
afterAll(async () => {
  await cleanup();
});

async function fileOf(name: string, size: number): Promise<{ path: string; sha256: string }> {
  const data = randomBytes(size);
  const path = join(dir, name);
  await writeFile(path, data);
  return { path, sha256: sha256(data) };
}

describe('HashThread', () => {
  it('hashes several files at once on one thread, each in the order of its ranges', async () => {
    const files = await Promise.all([0, 1, 2].map((i) => fileOf(`many-${i}`, 3 * MiB + i)));
    const jobs = files.map((f) => thread.open(f.path));
    const step = 700 * 1024;
    for (let pos = 0; pos < 3 * MiB + 2; pos += step) {
      for (const [i, job] of jobs.entries()) await job.hashRange(Math.min(pos, 3 * MiB + i), Math.min(pos + step, 3 * MiB + i));
    }
    expect(await Promise.all(jobs.map((j) => j.digest()))).toEqual(files.map((f) => f.sha256));
  });

  it('fails one job whose file is short without touching the others', async () => {
    const good = await fileOf('good', 5000);
    const short = await fileOf('short', 1000);
    const a = thread.open(good.path);
    const b = thread.open(short.path);
    await a.hashRange(0, 2500);
    await b.hashRange(0, 4000);
    await a.hashRange(2500, 5000);
    await expect(b.digest()).rejects.toMatchObject({ code: Code.Internal, message: expect.stringMatching(/ended at byte 1000/) });
    expect(await a.digest()).toBe(good.sha256);
  });

  it('fails a job whose file cannot be opened, with the reason', async () => {
    const job = thread.open(join(dir, 'missing'));
    await job.hashRange(0, 10);
    await expect(job.digest()).rejects.toMatchObject({ code: Code.Internal, message: expect.stringMatching(/ENOENT/) });
  });

  it('fails the jobs still open when it is closed, and every later one', async () => {
    const f = await fileOf('open-at-close', 1000);
    const job = thread.open(f.path);
    await job.hashRange(0, 1000);
    await thread.close();
    await expect(job.digest()).rejects.toMatchObject({ code: Code.FailedPrecondition, message: expect.stringMatching(/client was closed/) });
    const later = thread.open(f.path);
    await later.hashRange(0, 1000);
    await expect(later.digest()).rejects.toMatchObject({ code: Code.FailedPrecondition });
    later.close();
  });

  it('takes a new job on the same thread after one is closed, and a closed job can be closed twice', async () => {
    const f = await fileOf('after-drop', 4096);
    const dropped = thread.open(f.path);
    await dropped.hashRange(0, 2048);
    dropped.close();
    dropped.close();
    const job = thread.open(f.path);
    await job.hashRange(0, 4096);
    expect(await job.digest()).toBe(f.sha256);
  });

  it('fails the open jobs when its thread is lost, and starts a new one for the next job', async () => {
    const f = await fileOf('lost', 4096);
    const job = thread.open(f.path);
    await job.hashRange(0, 4096);
    // What a crash of the thread looks like from here: it exits.
    await (thread as unknown as { worker: Worker }).worker.terminate();
    await expect(job.digest()).rejects.toMatchObject({ code: Code.Internal, message: expect.stringMatching(/hashing thread exited/) });
    const next = thread.open(f.path);
    await next.hashRange(0, 4096);
    expect(await next.digest()).toBe(f.sha256);
  });

  it('keeps the process alive while a job is open, and not once none is', async () => {
    const f = await fileOf('alive', MiB);
    // A process whose only work is the thread's: it must print the digest,
    // then exit by itself (no close()).
    const script = `
      const { HashThread } = require(${JSON.stringify(join(__dirname, '..', 'dist', 'hash-thread.js'))});
      const job = new HashThread().open(${JSON.stringify(f.path)});
      job.hashRange(0, ${MiB});
      job.digest().then((d) => console.log(d));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { timeout: 20_000 });
    expect(stdout.trim()).toBe(f.sha256);
  }, 30_000);
});
