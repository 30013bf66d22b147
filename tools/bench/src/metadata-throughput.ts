#!/usr/bin/env node
// Benchmark: metadata store throughput straight against a backend (no RPC):
// commits per second (1 chunk each; one at a time, then 200 in flight), then
// stat and list throughput over the files committed. For etcd without
// --endpoints it starts its own etcd on loopback.
//
// A commit needs its upload open, so each commit phase first opens the
// uploads of the files it commits (untimed, 200 at a time, as CreateUpload
// leaves them: the chunk placed); the commit rows time commitFile alone,
// which makes the file visible and closes its upload (on etcd: also revokes
// the upload's lease), as CommitUpload's commit does.
//
//   node tools/bench/dist/metadata-throughput.js [--backends embedded,etcd] [--files 100000]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createMetadataStore, type CommitInput, type MetadataStore } from '@dfs/metadata';
import { startEtcd, stopAllProcesses, type EtcdServer } from '@dfs/test-cluster';
import { commitInput, uploadFor } from './commit-input.js';

function report(backend: string, what: string, count: number, ms: number): Record<string, number | string> {
  const perSecond = Math.round((count * 1000) / ms);
  process.stdout.write(`${backend.padEnd(9)} ${what.padEnd(32)} ${String(count).padStart(7)} in ${(ms / 1000).toFixed(2).padStart(7)} s = ${perSecond}/s\n`);
  return { backend, what, count, perSecond };
}

/** Opens the upload of every input, 200 at a time (not timed). */
async function openUploads(store: MetadataStore, inputs: CommitInput[]): Promise<void> {
  for (let i = 0; i < inputs.length; i += 200) await Promise.all(inputs.slice(i, i + 200).map((input) => store.createUpload(uploadFor(input))));
}

async function listAll(store: MetadataStore, dir: string, recursive: boolean): Promise<number> {
  let n = 0;
  let cursor: string | undefined;
  do {
    const page = await store.list(dir, { recursive, limit: 1000, cursor });
    n += page.entries.length;
    cursor = page.nextCursor;
  } while (cursor);
  return n;
}

async function run(backend: 'embedded' | 'etcd', files: number, endpoints: string[]): Promise<Array<Record<string, number | string>>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'dfs-metadata-bench-'));
  const store = await createMetadataStore(backend === 'etcd' ? { backend, endpoints, prefix: `bench-${Date.now()}` } : { backend, dataDir });
  const rows = [];
  try {
    const paths = Array.from({ length: files }, (_, i) => `/bench/d${i % 100}/f${i}`);
    const sequential = Math.min(files, 2_000);
    const serial = paths.slice(0, sequential).map((p) => commitInput(p));
    await openUploads(store, serial);
    let t = performance.now();
    for (const input of serial) await store.commitFile(input);
    rows.push(report(backend, 'commits, one at a time', sequential, performance.now() - t));
    const parallel = paths.slice(sequential).map((p) => commitInput(p));
    await openUploads(store, parallel);
    t = performance.now();
    for (let i = 0; i < parallel.length; i += 200) await Promise.all(parallel.slice(i, i + 200).map((input) => store.commitFile(input)));
    if (files > sequential) rows.push(report(backend, 'commits, 200 in flight', files - sequential, performance.now() - t));
    const stats = Math.min(files, 20_000);
    t = performance.now();
    for (let i = 0; i < stats; i++) if (!(await store.getFile(paths[(i * 7919) % files]!))) throw new Error('a committed file is missing');
    rows.push(report(backend, 'stat, one at a time', stats, performance.now() - t));
    t = performance.now();
    const listed = await listAll(store, '/bench', true);
    if (listed !== files) throw new Error(`listed ${listed} of ${files} files`);
    rows.push(report(backend, 'list recursive, pages of 1000', listed, performance.now() - t));
    t = performance.now();
    let inDirs = 0;
    for (let d = 0; d < 100; d++) inDirs += await listAll(store, `/bench/d${d}`, false);
    rows.push(report(backend, 'list 100 directories', inDirs, performance.now() - t));
    t = performance.now();
    const { filesRenamed } = await store.rename('/bench', '/renamed');
    if (filesRenamed !== files) throw new Error(`renamed ${filesRenamed} of ${files} files`);
    rows.push(report(backend, 'rename the whole tree', filesRenamed, performance.now() - t));
    t = performance.now();
    const { filesDeleted } = await store.deletePath('/renamed', { recursive: true });
    if (filesDeleted !== files) throw new Error(`deleted ${filesDeleted} of ${files} files`);
    rows.push(report(backend, 'delete the whole tree', filesDeleted, performance.now() - t));
  } finally {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  return rows;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { backends: { type: 'string', default: 'embedded,etcd' }, files: { type: 'string', default: '100000' }, endpoints: { type: 'string' } } });
  const files = Number(values.files);
  if (!Number.isInteger(files) || files < 100) throw new Error('--files must be a whole number >= 100');
  let etcd: EtcdServer | undefined;
  const rows = [];
  try {
    for (const backend of values.backends!.split(',')) {
      if (backend !== 'embedded' && backend !== 'etcd') throw new Error(`unknown backend ${backend}: use embedded or etcd`);
      let endpoints = values.endpoints?.split(',') ?? [];
      if (backend === 'etcd' && endpoints.length === 0) {
        etcd ??= await startEtcd({ name: 'bench-etcd' });
        endpoints = [etcd.endpoint];
      }
      rows.push(...(await run(backend, files, endpoints)));
    }
  } finally {
    await etcd?.stop();
  }
  process.stdout.write(JSON.stringify({ files, rows }) + '\n');
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    process.stderr.write(`benchmark failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    await stopAllProcesses();
    process.exit(1);
  },
);
