import { Worker } from 'node:worker_threads';
import { Code, DfsError as WireError } from '@dfs/proto';

/** Read-back buffer of the thread, one for all its jobs (they run one range at a time). */
const HASH_BUFFER = 1024 * 1024;

// The thread's whole program. Each job is one file: the thread opens it
// itself, so no bytes cross between threads, and hashes the ranges posted
// for it in the order they come. Jobs are independent: one that fails
// reports it and ignores the rest of its messages.
const THREAD_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const buffer = Buffer.allocUnsafe(${HASH_BUFFER});
const jobs = new Map();
const closeJob = (id) => {
  const job = jobs.get(id);
  jobs.delete(id);
  if (job && job.fd !== undefined) closeSync(job.fd);
};
parentPort.on('message', (m) => {
  if (m.path !== undefined) return void jobs.set(m.id, { path: m.path, hash: createHash('sha256'), fd: undefined });
  if (m.drop) return void closeJob(m.id);
  const job = jobs.get(m.id);
  if (!job) return;
  try {
    if (job.fd === undefined) job.fd = openSync(job.path, 'r');
    if (m.digest) {
      closeJob(m.id);
      return void parentPort.postMessage({ id: m.id, sha256: job.hash.digest('hex') });
    }
    for (let pos = m.offset; pos < m.end; ) {
      const n = readSync(job.fd, buffer, 0, Math.min(buffer.length, m.end - pos), pos);
      if (n === 0) throw Object.assign(new Error('ended'), { endedAt: pos });
      job.hash.update(buffer.subarray(0, n));
      pos += n;
    }
  } catch (err) {
    try { closeJob(m.id); } catch {}
    parentPort.postMessage({ id: m.id, error: err.endedAt === undefined ? String(err && err.message) : undefined, endedAt: err.endedAt });
  }
});
`;

/** The SHA-256 of one file, hashed on the client's thread. */
export interface HashJob {
  /** Hashes [offset, end) of the file next; resolves at once (the thread keeps the order). */
  hashRange(offset: number, end: number): Promise<void>;
  /** The hash of every range posted; rejects if one of them failed. */
  digest(): Promise<string>;
  /** Forgets the job (its file is closed); call it whatever the outcome. */
  close(): void;
}

type Reply = { id: number; sha256?: string; error?: string; endedAt?: number; closed?: boolean };

/**
 * One worker thread that hashes local files for every download of a client:
 * a download is bound by the main thread, and hashing its file there took a
 * fifth of it, but a thread per download cost ~10 MiB each (eight at once:
 * 244 instead of 188 MiB, issue 7). Started on the first job (again after
 * the thread was lost); it keeps the process alive only while a job is
 * open. close() ends it for good: open jobs and later ones fail.
 */
export class HashThread {
  private worker: Worker | undefined;
  private closed = false;
  private readonly jobs = new Map<number, { settle: (reply: Reply) => void }>();
  private nextId = 0;

  open(path: string): HashJob {
    if (this.closed) return failedJob(closedError());
    const worker = this.start();
    const id = this.nextId++;
    let settle!: (reply: Reply) => void;
    const result = new Promise<string>((resolve, reject) => {
      settle = (reply) => {
        this.forget(id);
        if (reply.sha256 !== undefined) resolve(reply.sha256);
        else if (reply.endedAt !== undefined) reject(endedAt(reply.endedAt));
        else if (reply.closed) reject(closedError());
        else reject(new WireError(Code.Internal, `hashing the downloaded file failed: ${reply.error}`));
      };
    });
    // Read by digest(); a failure before that must not be an unhandled rejection.
    result.catch(() => undefined);
    this.jobs.set(id, { settle });
    worker.ref();
    worker.postMessage({ id, path });
    return {
      hashRange: async (offset, end) => this.post({ id, offset, end }),
      digest: () => {
        this.post({ id, digest: true });
        return result;
      },
      close: () => {
        if (!this.jobs.has(id)) return;
        this.forget(id);
        this.post({ id, drop: true });
      },
    };
  }

  /** Ends the thread; open jobs fail. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    for (const { settle } of [...this.jobs.values()]) settle({ id: -1, closed: true });
    await worker?.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // It allocates next to nothing (one buffer, reused): a small heap keeps its RSS small.
    const worker = new Worker(THREAD_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16, stackSizeMb: 1 } });
    worker.on('message', (reply: Reply) => this.jobs.get(reply.id)?.settle(reply));
    const lost = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.failAll(why);
    };
    worker.once('error', (err) => lost(`the hashing thread failed: ${err.message}`));
    worker.once('exit', (code) => lost(`the hashing thread exited (code ${code}) before the file was hashed`));
    this.worker = worker;
    return worker;
  }

  private post(message: object): void {
    this.worker?.postMessage(message);
  }

  private forget(id: number): void {
    this.jobs.delete(id);
    if (this.jobs.size === 0) this.worker?.unref();
  }

  private failAll(why: string): void {
    for (const { settle } of [...this.jobs.values()]) settle({ id: -1, error: why });
  }
}

function closedError(): WireError {
  return new WireError(Code.FailedPrecondition, 'the DFS client was closed while a download was being hashed: create a new client with createDfsClient()');
}

/** A job that fails with `error` whatever it is asked. */
function failedJob(error: WireError): HashJob {
  const result = Promise.reject(error);
  result.catch(() => undefined);
  return { hashRange: async () => undefined, digest: () => result, close: () => undefined };
}

export function endedAt(pos: number): WireError {
  return new WireError(Code.Internal, `the partial file ended at byte ${pos} while it was hashed`);
}
