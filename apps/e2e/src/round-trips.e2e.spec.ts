// Data scenarios on a six-datanode cluster with R=3: every file comes back
// byte-identical through the SDK, and every chunk is on three distinct nodes,
// read directly from each of them.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createDfsClient, type DfsClient } from '@dfs/sdk';
import { eventually } from '@dfs/test-cluster';
import { startE2eCluster, type E2eCluster } from './test/e2e-cluster.js';
import { chunksOf, readEveryReplica, sha256 } from './test/replicas.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GC_DELAY_S = 10;

let cluster: E2eCluster;
let dfs: DfsClient;

beforeAll(async () => {
  cluster = await startE2eCluster({ name: 'e2e-data', coordinatorEnv: { DFS_GC_DELAY: `${GC_DELAY_S}s` } });
  dfs = createDfsClient({ coordinators: cluster.coordinator, idleTimeoutMs: 15_000 });
}, 120_000);

afterAll(async () => {
  await dfs?.close();
  await cluster?.stop();
});

/** Downloads into a hashing sink: the SHA-256 of what came back. */
async function downloadedSha(path: string): Promise<string> {
  const hash = createHash('sha256');
  await dfs.download(
    path,
    new Writable({
      write(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        done();
      },
    }),
  );
  return hash.digest('hex');
}

async function roundTrip(path: string, data: Buffer, chunkSize?: number): Promise<void> {
  const info = await dfs.upload(path, data, chunkSize === undefined ? {} : { chunkSize });
  expect(info).toMatchObject({ path, size: data.length, sha256: sha256(data) });
  expect(await downloadedSha(path)).toBe(sha256(data));
  const replicas = await readEveryReplica(cluster.coordinator, path, 3);
  expect(replicas).toEqual({ sha256: sha256(data), chunks: Math.ceil(data.length / (chunkSize ?? 8 * MiB)) });
}

describe('round trips', () => {
  it.each([0, 1, KiB, MiB, 10 * MiB, 100 * MiB])('a file of %i bytes (default 8 MiB chunks)', async (size) => {
    await roundTrip(`/e2e/sizes/${size}`, randomBytes(size));
  });

  it.each([1, 4, 8, 32, 64])('a file of two %i MiB chunks and one byte', async (mib) => {
    await roundTrip(`/e2e/chunk-sizes/${mib}`, randomBytes(2 * mib * MiB + 1), mib * MiB);
  });

  it.each([
    ['exactly one chunk', MiB],
    ['one byte less', MiB - 1],
    ['one byte more', MiB + 1],
  ])('a file %s long', async (_what, size) => {
    await roundTrip(`/e2e/boundary/${size}`, randomBytes(size), MiB);
  });
});

describe('concurrency', () => {
  it('20 uploads at once all come back whole', async () => {
    const files = Array.from({ length: 20 }, (_, i) => ({ path: `/e2e/many/f${i}`, data: randomBytes(2 * MiB + i) }));
    await Promise.all(files.map((f) => dfs.upload(f.path, f.data, { chunkSize: MiB })));
    for (const f of files) expect(await downloadedSha(f.path)).toBe(sha256(f.data));
    const listed = [];
    for await (const e of dfs.list('/e2e/many')) listed.push(e.path);
    expect(listed).toHaveLength(20);
  });

  it('large files moved at once by one client share its chunk slots and hash thread, and each comes back whole', async () => {
    // Tight slots, so transfers queue for them; 65 MiB files, so each download hashes on the client's thread.
    const tight = createDfsClient({ coordinators: cluster.coordinator, maxChunkWrites: 2, maxChunkReads: 2 });
    const dir = await mkdtemp(join(tmpdir(), 'dfs-e2e-parallel-'));
    try {
      const files = Array.from({ length: 3 }, (_, i) => ({ path: `/e2e/parallel/f${i}`, data: randomBytes(65 * MiB + i), local: join(dir, `f${i}`) }));
      await Promise.all(files.map((f) => tight.upload(f.path, f.data)));
      await Promise.all(files.map((f) => tight.download(f.path, f.local)));
      for (const f of files) expect(sha256(await readFile(f.local))).toBe(sha256(f.data));
    } finally {
      await tight.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('uploads racing to one path: exactly one wins without overwrite; with overwrite the file is one of them, whole', async () => {
    const racers = Array.from({ length: 5 }, () => randomBytes(3 * MiB));
    const results = await Promise.allSettled(racers.map((d) => dfs.upload('/e2e/race/plain', d, { chunkSize: MiB })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'AlreadyExists' });
    const winner = racers[results.findIndex((r) => r.status === 'fulfilled')]!;
    expect(await downloadedSha('/e2e/race/plain')).toBe(sha256(winner));

    await Promise.all(racers.map((d) => dfs.upload('/e2e/race/overwrite', d, { chunkSize: MiB, overwrite: true })));
    const final = await downloadedSha('/e2e/race/overwrite');
    expect(racers.map(sha256)).toContain(final);
    expect((await readEveryReplica(cluster.coordinator, '/e2e/race/overwrite', 3)).sha256).toBe(final);
  });

  it('a reader streaming a version that is overwritten meanwhile gets the old bytes whole', async () => {
    const v1 = randomBytes(16 * MiB);
    const v2 = randomBytes(16 * MiB);
    await dfs.upload('/e2e/overwrite/f', v1, { chunkSize: MiB });
    const stream = dfs.createReadStream('/e2e/overwrite/f');
    const parts: Buffer[] = [];
    const it = stream[Symbol.asyncIterator]();
    for (let read = 0; read < MiB; ) {
      const next = await it.next();
      if (next.done) break;
      parts.push(next.value as Buffer);
      read += (next.value as Buffer).length;
    }
    await dfs.upload('/e2e/overwrite/f', v2, { chunkSize: MiB, overwrite: true });
    for (let next = await it.next(); !next.done; next = await it.next()) parts.push(next.value as Buffer);
    expect(sha256(Buffer.concat(parts))).toBe(sha256(v1));
    expect(await downloadedSha('/e2e/overwrite/f')).toBe(sha256(v2));
  });
});

describe('namespace', () => {
  it('lists with prefix safety, renames, and deletes; the deleted chunks leave the disks', async () => {
    for (const p of ['/e2e/ns/a/x', '/e2e/ns/a/y/z', '/e2e/ns/ab/x', '/e2e/ns/a-b']) await dfs.upload(p, randomBytes(100 * KiB), { chunkSize: 64 * KiB });
    const names = async (path: string, recursive = false) => {
      const out: string[] = [];
      for await (const e of dfs.list(path, { recursive })) out.push(`${e.isDirectory ? 'd' : 'f'}:${e.path}`);
      return out;
    };
    expect(await names('/e2e/ns/a')).toEqual(['f:/e2e/ns/a/x', 'd:/e2e/ns/a/y']);
    expect(await names('/e2e/ns/a', true)).toEqual(['f:/e2e/ns/a/x', 'f:/e2e/ns/a/y/z']);

    expect(await dfs.rename('/e2e/ns/a', '/e2e/ns/moved')).toEqual({ filesRenamed: 2 });
    expect(await names('/e2e/ns', true)).toEqual(['f:/e2e/ns/a-b', 'f:/e2e/ns/ab/x', 'f:/e2e/ns/moved/x', 'f:/e2e/ns/moved/y/z']);
    await expect(dfs.stat('/e2e/ns/a/x')).rejects.toMatchObject({ code: 'NotFound' });

    const chunkIds = [...(await chunksOf(cluster.coordinator, '/e2e/ns/moved/x')), ...(await chunksOf(cluster.coordinator, '/e2e/ns/moved/y/z'))].map((c) => c.chunkId);
    expect(chunkIds.length).toBeGreaterThan(0);
    expect(await dfs.delete('/e2e/ns/moved', { recursive: true })).toEqual({ filesDeleted: 2 });
    await expect(dfs.stat('/e2e/ns/moved/x')).rejects.toMatchObject({ code: 'NotFound' });
    const onDisk = async () => new Set((await Promise.all(cluster.datanodes.map((d) => d.chunkIds()))).flat());
    // Held for the GC delay (so running reads finish), then gone from every disk.
    const gone = await eventually(
      async () => {
        const held = await onDisk();
        return chunkIds.every((id) => !held.has(id));
      },
      (GC_DELAY_S + 30) * 1000,
      500,
    );
    expect(gone).toBe(true);
  });
});
