#!/usr/bin/env node
// Metadata store throughput, straight against a backend (no RPC): commits per
// second (1 chunk each; one at a time, then 200 in flight), then stat and list
// throughput over the files committed. Uses the built lib (nx run metadata:build).
//
//   node libs/metadata/bench/metadata-bench.cjs embedded [--files 100000]
//   node libs/metadata/bench/metadata-bench.cjs etcd --endpoints 127.0.0.1:2379 [--files 100000]
//   node libs/metadata/bench/metadata-bench.cjs memory
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { randomBytes } = require('node:crypto');
const { createMetadataStore } = require('../dist/index.js');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

function input(path) {
  return {
    uploadId: randomBytes(16).toString('hex'),
    path,
    size: 1024,
    sha256: new Uint8Array(32),
    chunkSize: 1024,
    replication: 3,
    overwrite: false,
    chunks: [{ chunkId: randomBytes(16).toString('hex'), index: 0, size: 1024, sha256: new Uint8Array(32), replicas: ['n1', 'n2', 'n3'] }],
  };
}

function report(what, count, ms) {
  process.stdout.write(`${what.padEnd(34)} ${String(count).padStart(7)} in ${(ms / 1000).toFixed(2).padStart(7)} s = ${Math.round((count * 1000) / ms)}/s\n`);
}

async function main() {
  const backend = process.argv[2] ?? 'embedded';
  const files = Number(arg('files', '100000'));
  const sequential = Math.min(files, Number(arg('sequential', '2000')));
  const dataDir = backend === 'embedded' ? mkdtempSync(join(tmpdir(), 'dfs-metadata-bench-')) : undefined;
  const config =
    backend === 'etcd'
      ? { backend, endpoints: arg('endpoints', '127.0.0.1:2379').split(','), prefix: `bench-${Date.now()}` }
      : backend === 'embedded'
        ? { backend, dataDir }
        : { backend };
  const store = await createMetadataStore(config);
  process.stdout.write(`backend ${backend}, ${files} files (1 chunk each)\n`);
  try {
    const paths = Array.from({ length: files }, (_, i) => `/bench/d${i % 100}/f${i}`);
    let t = performance.now();
    for (let i = 0; i < sequential; i++) await store.commitFile(input(paths[i]));
    report('commits, one at a time', sequential, performance.now() - t);
    t = performance.now();
    for (let i = sequential; i < files; i += 200) {
      await Promise.all(paths.slice(i, i + 200).map((p) => store.commitFile(input(p))));
    }
    report('commits, 200 in flight', files - sequential, performance.now() - t);

    const stats = Math.min(files, 20_000);
    t = performance.now();
    for (let i = 0; i < stats; i++) await store.getFile(paths[(i * 7919) % files]);
    report('stat (getFile), one at a time', stats, performance.now() - t);

    t = performance.now();
    let listed = 0;
    let cursor;
    do {
      const page = await store.list('/bench', { recursive: true, limit: 1000, cursor });
      listed += page.entries.length;
      cursor = page.nextCursor;
    } while (cursor);
    report('list recursive, pages of 1000', listed, performance.now() - t);

    t = performance.now();
    listed = 0;
    for (let d = 0; d < 100; d++) {
      cursor = undefined;
      do {
        const page = await store.list(`/bench/d${d}`, { limit: 1000, cursor });
        listed += page.entries.length;
        cursor = page.nextCursor;
      } while (cursor);
    }
    report('list 100 directories', listed, performance.now() - t);
  } finally {
    await store.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
