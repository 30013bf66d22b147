// The etcd store against a real etcd (one server for the file, a fresh key
// prefix per store). The shared contract suite runs here, plus the parts only
// etcd has: leases, spread chunk lists, compare-and-swap races, txn limits,
// transactions applied whose reply was lost.
import { startEtcd, type EtcdServer } from '@dfs/test-cluster';
import { Code, newChunkId } from '@dfs/proto';
import { GRPCUnavailableError, type ITxnResponse } from 'etcd3';
import type { ChunkRef, CommitInput, ListPage, MetadataStore, UploadRecord } from '../metadata-store.js';
import { allChunks, allGc, commitInput, commitUpload, expectCode, openUpload } from '../testing/contract-fixtures.js';
import { describeMetadataContract } from '../testing/metadata-contract.js';
import { keys } from './etcd-keys.js';
import type { EtcdKv } from './etcd-kv.js';
import { openEtcdMetadataStore, type EtcdMetadataStore, type EtcdMetadataStoreOptions } from './etcd-metadata-store.js';

let etcd: EtcdServer | undefined;
let seq = 0;
const opened: MetadataStore[] = [];

beforeAll(async () => {
  etcd = await startEtcd({ name: 'etcd-metadata' });
}, 30_000);

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  await etcd?.stop();
});

async function open(options: Partial<EtcdMetadataStoreOptions> = {}): Promise<EtcdMetadataStore> {
  const store = await openEtcdMetadataStore({ endpoints: [etcd!.endpoint], prefix: `t${process.pid}-${seq++}`, ...options });
  opened.push(store);
  return store;
}

function chunks(count: number): ChunkRef[] {
  return Array.from({ length: count }, (_, index) => ({ chunkId: newChunkId(), index, size: 1024, sha256: new Uint8Array(32).fill(index % 256), replicas: ['n1', 'n2'] }));
}

function input(path: string, chunkCount: number, init: Partial<CommitInput> = {}): CommitInput {
  return { uploadId: newChunkId(), path, size: chunkCount * 1024, sha256: new Uint8Array(32), chunkSize: 1024, replication: 2, overwrite: false, chunks: chunks(chunkCount), ...init };
}

function upload(path: string, expiresInMs: number): UploadRecord {
  const now = Date.now();
  return { uploadId: newChunkId(), path, size: 2048, chunkSize: 1024, replication: 2, overwrite: false, createdAt: new Date(now), expiresAt: new Date(now + expiresInMs), placements: [], abandonedChunkIds: [] };
}

// Each test gets a fresh prefix, so the contract's tests never see each other's keys.
describeMetadataContract('etcd', () => openEtcdMetadataStore({ endpoints: [etcd!.endpoint], prefix: `c${process.pid}-${seq++}` }), { large: true });

/** Runs `count` calls one after another; `first` settles after the first one. */
function serially<T>(count: number, call: (i: number) => Promise<T>): { first: Promise<unknown>; all: Promise<unknown>; results: T[] } {
  const results: T[] = [];
  let started!: () => void;
  const first = new Promise<void>((resolve) => (started = resolve));
  const all = (async () => {
    for (let i = 0; i < count; i++) {
      results.push(await call(i));
      if (i === 0) started();
    }
  })();
  return { first, all, results };
}

function shownTop(page: ListPage): string[] {
  return page.entries.map((e) => (e.kind === 'file' ? `f:${e.file.path}` : `d:${e.path}`));
}

describe('EtcdMetadataStore (etcd specifics)', () => {
  it('lets exactly one of two racing large commits win and discards the loser’s chunk list', async () => {
    const store = await open();
    const [a, b] = [input('/race', 300), input('/race', 300)];
    // Uploads that placed nothing: what holds the loser's chunks below is only what its commit wrote.
    for (const i of [a, b]) await openUpload(store, i, { placements: [] });
    const results = await Promise.allSettled([store.commitFile(a), store.commitFile(b)]);
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(Code[lost.reason.code as Code]).toBe('AlreadyExists');
    const loser = results[0]!.status === 'rejected' ? a : b;
    expect(await store.referencedChunks([loser.chunks[7]!.chunkId])).toEqual(new Set());
  });

  it('keeps the chunks of a large commit referenced when a retry races the original', async () => {
    const store = await open();
    const big = input('/twice', 300);
    await openUpload(store, big);
    const [a, b] = await Promise.all([store.commitFile(big), store.commitFile(big)]);
    expect([a.alreadyCommitted, b.alreadyCommitted].sort()).toEqual([false, true]);
    expect(b.file.fileId).toBe(a.file.fileId);
    const last = big.chunks[299]!.chunkId;
    expect(await store.referencedChunks([last])).toEqual(new Set([last]));
    let count = 0;
    for await (const _ of store.readChunks(a.file.fileId)) count++;
    expect(count).toBe(300);
  });

  it('keeps an upload of 20,000 placements (more than one etcd value holds) and commits it', async () => {
    const store = await open();
    const up = upload('/many', 60_000);
    const planned = chunks(20_000);
    up.placements = planned.map((c) => ({ index: c.index, chunkId: c.chunkId, nodeIds: ['node-with-a-long-identifier-1', 'node-with-a-long-identifier-2'] }));
    await store.createUpload(up);
    const replacement = newChunkId();
    const placed = await store.placeChunks(up.uploadId, [{ index: 19_999, chunkId: replacement, nodeIds: ['n9'] }], up.expiresAt);
    expect(placed.placements).toHaveLength(20_000);
    expect(placed.placements[19_999]!.chunkId).toBe(replacement);
    expect(placed.abandonedChunkIds).toEqual([planned[19_999]!.chunkId]);
    planned[19_999]!.chunkId = replacement;
    await store.commitFile({ ...input('/many', 0), uploadId: up.uploadId, chunks: planned });
    expect(await store.getUpload(up.uploadId)).toBeUndefined();
    expect(await store.referencedChunks([replacement])).toEqual(new Set([replacement]));
    const gc = await store.peekGc(10);
    expect(gc.flatMap((e) => (e.kind === 'chunks' ? e.chunkIds : []))).toEqual([placed.abandonedChunkIds[0]]);
  }, 60_000);

  it('drops an upload whose lease runs out, index included', async () => {
    const store = await open({ uploadLeaseGraceSeconds: 0 });
    const up = upload('/leased', 1000);
    await store.createUpload(up);
    expect(await store.getUpload(up.uploadId)).toBeDefined();
    const deadline = Date.now() + 8000;
    while ((await store.getUpload(up.uploadId)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(await store.getUpload(up.uploadId)).toBeUndefined();
    expect(await store.expiredUploads(new Date(Date.now() + 60_000), 10)).toEqual([]);
  }, 15_000);

  it('puts the uploads of a few minutes on one lease, which outlives any of them committing or aborting', async () => {
    const store = await open();
    const kv: EtcdKv = store['kv'];
    const leases = async () => (await kv.client.leaseClient.leaseLeases({})).leases.length;
    const before = await leases();
    const ups = Array.from({ length: 20 }, (_, i) => upload(`/shared/${i}`, 60_000));
    for (const up of ups) await store.createUpload(up);
    expect((await leases()) - before).toBe(1);
    // The first ends by a commit, the second by an abort: the others keep their keys.
    await store.commitFile(commitInput(ups[0]!.path, { uploadId: ups[0]!.uploadId, chunks: [] }));
    await store.abortUpload(ups[1]!.uploadId, 'aborted');
    for (const up of ups.slice(2)) expect(await store.getUpload(up.uploadId)).toBeDefined();
  });

  it('lists expired uploads oldest first and follows placeChunks moving the expiry', async () => {
    const store = await open();
    const [late, early] = [upload('/u1', 20_000), upload('/u2', 10_000)];
    await store.createUpload(late);
    await store.createUpload(early);
    const in30s = new Date(Date.now() + 30_000);
    expect((await store.expiredUploads(in30s, 10)).map((u) => u.uploadId)).toEqual([early.uploadId, late.uploadId]);
    await store.placeChunks(early.uploadId, [{ index: 0, chunkId: newChunkId(), nodeIds: ['n1'] }], new Date(Date.now() + 60_000));
    expect((await store.expiredUploads(in30s, 10)).map((u) => u.uploadId)).toEqual([late.uploadId]);
    await expect(store.createUpload(late)).rejects.toMatchObject({ code: Code.AlreadyExists });
  });

  it('finishes a tree rename and a tree delete that a crash cut short: readers resolve through the job, then help or resume it', async () => {
    const prefix = `crash${process.pid}-${seq++}`;
    let crashAt = 1;
    const crash = (_job: unknown, batch: number): void => {
      if (batch === crashAt) throw new Error('simulated crash between batches');
    };
    const store = await open({ prefix, beforeTreeBatch: crash });
    // More files than one batch (a page of 1,000), so the crash leaves some moved and some not.
    const paths = Array.from({ length: 1200 }, (_, i) => `/src/d${i % 4}/f${String(i).padStart(4, '0')}`);
    for (let i = 0; i < paths.length; i += 200) await Promise.all(paths.slice(i, i + 200).map((p) => commitUpload(store, input(p, 1))));
    const ids = new Map(await Promise.all(paths.map(async (p) => [p, (await store.getFile(p))!.fileId] as const)));

    await expect(store.rename('/src', '/dst')).rejects.toThrow('simulated crash');
    crashAt = -1;
    // One batch moved, the rest still at their old keys: every file is found at its new path only.
    const moved = await Promise.all(paths.map((p) => store.getFile(p.replace('/src/', '/dst/'))));
    expect(moved.map((f) => f?.fileId)).toEqual(paths.map((p) => ids.get(p)));
    expect(moved.map((f) => f?.path)).toEqual(paths.map((p) => p.replace('/src/', '/dst/')));
    expect(await Promise.all(paths.map((p) => store.getFile(p)))).toEqual(paths.map(() => undefined));
    // A commit into the moving tree waits for the job (helping it), then lands beside the moved files.
    await expect(commitUpload(store, input('/src/d0/f0000', 1))).resolves.toMatchObject({ alreadyCommitted: false });
    expect((await store.list('/dst', { recursive: true, limit: 2000 })).entries).toHaveLength(1200);
    expect(shownTop(await store.list('/'))).toEqual(['d:/dst', 'd:/src']);

    // A delete cut short is finished when a store next opens.
    crashAt = 1;
    const deleting = await open({ prefix, beforeTreeBatch: crash });
    await expect(deleting.deletePath('/dst', { recursive: true })).rejects.toThrow('simulated crash');
    expect(await deleting.getFile('/dst/d1/f0001')).toBeUndefined();
    const reopened = await open({ prefix });
    expect(shownTop(await reopened.list('/'))).toEqual(['d:/src']);
    expect((await reopened.peekGc(2000)).filter((e) => e.kind === 'file' && e.reason === 'deleted')).toHaveLength(1200);
  }, 60_000);

  it('answers batched chunk lookups under a tree rename cut short as for each id alone, and as getFile does', async () => {
    const store = await open({
      beforeTreeBatch: (_job, batch) => {
        if (batch === 1) throw new Error('simulated crash between batches');
      },
    });
    // More than one batch of the rename (1,000 files), so some files are moved and the rest wait behind a running fence.
    const inputs = Array.from({ length: 1200 }, (_, i) => input(`/src/d${i % 4}/f${String(i).padStart(4, '0')}`, 1));
    for (let i = 0; i < inputs.length; i += 200) await Promise.all(inputs.slice(i, i + 200).map((c) => commitUpload(store, c)));
    await expect(store.rename('/src', '/dst')).rejects.toThrow('simulated crash');
    const ids = inputs.map((c) => c.chunks[0]!.chunkId);
    const batched = await store.liveFilesOfChunks(ids);
    // Alone, an id's paths share no transaction with others' (nor their fences).
    const single = await Promise.all(ids.map(async (id) => (await store.liveFilesOfChunks([id])).get(id)));
    expect(ids.map((id) => [batched.get(id)?.path, batched.get(id)?.fileId])).toEqual(single.map((f) => [f?.path, f?.fileId]));
    expect(single.filter((f) => f?.path.startsWith('/dst/')).length).toBeGreaterThan(0);
    // And each file found live is the one getFile shows at its path.
    const found = [...batched.values()];
    expect(await Promise.all(found.map(async (f) => (await store.getFile(f.path))?.fileId))).toEqual(found.map((f) => f.fileId));
    expect((await store.referencedChunks(ids)).size).toBe(ids.length);
  }, 60_000);

  it('never shows half a tree to readers of another store while a 2,500-file rename runs in batches', async () => {
    const prefix = `half${process.pid}-${seq++}`;
    // Batches pause so the reader's lists fall between them (or help: either way they must be whole).
    const mover = await open({ prefix, beforeTreeBatch: () => new Promise((r) => setTimeout(r, 5)) });
    const reader = await open({ prefix });
    const count = 2500; // three batches of up to 1,000
    for (let i = 0; i < count; i += 250) await Promise.all(Array.from({ length: 250 }, (_, j) => commitUpload(mover, input(`/a/x/f${i + j}`, 1))));
    let done = false;
    const renamed = mover.rename('/a/x', '/b/y').finally(() => (done = true));
    const seen = new Set<string>();
    while (!done) {
      const entries = (await reader.list('/', { recursive: true, limit: 10_000 })).entries.map((e) => (e.kind === 'file' ? e.file.path : e.path));
      expect(entries).toHaveLength(count);
      const roots = new Set(entries.map((p) => p.slice(0, 4)));
      expect(roots.size).toBe(1);
      seen.add([...roots][0]!);
    }
    expect(await renamed).toEqual({ filesRenamed: count });
    expect(seen.has('/a/x') || seen.has('/b/y')).toBe(true);
    expect((await reader.list('/b/y', { recursive: true, limit: 10_000 })).entries).toHaveLength(count);
    expect(shownTop(await reader.list('/'))).toEqual(['d:/b']);
  }, 60_000);

  it('keeps a tree delete and a tree rename atomic while commits land in the same tree', async () => {
    const store = await open();
    const shown = async (dir: string) => (await store.list(dir, { recursive: true, limit: 1000 })).entries.map((e) => (e.kind === 'file' ? e.file.path : e.path));
    await Promise.all(Array.from({ length: 30 }, (_, i) => commitUpload(store, input(`/t/old/f${i}`, 1))));
    // Commits one after another, so the delete's read, its compare and its retries fall between them.
    const committed = serially(20, (i) => commitUpload(store, input(`/t/new/f${i}`, 1)));
    await committed.first;
    const { filesDeleted } = await store.deletePath('/t', { recursive: true });
    await committed.all;
    // Whatever landed after the delete is intact and listed; what it hid went to GC exactly once.
    const live = (await Promise.all(committed.results.map((c) => store.getFile(c.file.path)))).filter((f) => f !== undefined);
    expect(await shown('/t')).toEqual(live.map((f) => f.path).sort());
    expect(live.length).toBeLessThan(20); // the first commit was there before the delete began
    expect(filesDeleted).toBe(30 + 20 - live.length);
    expect(new Set((await store.peekGc(1000)).map((e) => (e.kind === 'file' ? e.fileId : ''))).size).toBe(filesDeleted);

    await Promise.all(Array.from({ length: 10 }, (_, i) => commitUpload(store, input(`/m/a/f${i}`, 1))));
    const more = serially(10, (i) => commitUpload(store, input(`/m/a/g${i}`, 1)));
    await more.first;
    const { filesRenamed } = await store.rename('/m/a', '/m/b');
    await more.all;
    const [a, b] = [await shown('/m/a'), await shown('/m/b')];
    expect(b).toHaveLength(filesRenamed);
    expect(a.length + b.length).toBe(20);
    expect(shownTop(await store.list('/m'))).toEqual([...(a.length ? ['d:/m/a'] : []), 'd:/m/b']);
  });

  it('keeps a directory apart from its string-prefix siblings in both listings', async () => {
    const store = await open();
    for (const p of ['/a/x', '/a/y/z', '/ab/x', '/a-b', '/a.txt']) await commitUpload(store, input(p, 1));
    const top = (await store.list('/')).entries.map((e) => (e.kind === 'file' ? `f:${e.file.path}` : `d:${e.path}`));
    expect(top).toEqual(['f:/a-b', 'f:/a.txt', 'd:/a', 'd:/ab']); // a directory sorts as "/a/"
    const below = (await store.list('/a', { recursive: true })).entries.map((e) => (e.kind === 'file' ? e.file.path : e.path));
    expect(below).toEqual(['/a/x', '/a/y/z']);
  });

  it('versions membership with a counter bumped in the same transaction as the record', async () => {
    const store = await open();
    const node = { nodeId: 'n1', address: '127.0.0.1:1', zone: 'z', state: 'healthy' as const, capacityBytes: 10, usedBytes: 1, freeBytes: 9, chunkCount: 0, activeTransfers: 0, registeredAt: new Date(), lastHeartbeat: new Date() };
    const versions = await Promise.all(['n1', 'n2', 'n3', 'n1'].map((nodeId) => store.putNode({ ...node, nodeId })));
    expect(versions.map((n) => n.version).sort()).toEqual([1, 2, 3, 4]);
    const changed = await store.nodesChangedSince(2);
    expect(changed.version).toBe(4);
    expect(changed.full).toBe(false);
    expect(changed.nodes.every((n) => n.version > 2)).toBe(true);
    expect((await store.nodesChangedSince(99)).full).toBe(true);
  });

  it('acknowledges the files of a tree delete one by one', async () => {
    const store = await open();
    for (const p of ['/t/a', '/t/b', '/t/c']) await commitUpload(store, input(p, 1));
    await store.deletePath('/t', { recursive: true });
    const gc = await store.peekGc(10);
    expect(gc).toHaveLength(3);
    await store.ackGc([gc[0]!.gcId]);
    expect((await store.peekGc(10)).map((e) => e.gcId)).toEqual([gc[1]!.gcId, gc[2]!.gcId]);
    await store.ackGc(gc.slice(1).map((e) => e.gcId));
    expect(await store.peekGc(10)).toEqual([]);
  });

  it('says which endpoints it cannot reach', async () => {
    await expect(openEtcdMetadataStore({ endpoints: ['http://127.0.0.1:1'] })).rejects.toMatchObject({
      code: Code.Unavailable,
      message: expect.stringContaining('127.0.0.1:1'),
    });
  }, 20_000);
});

/**
 * A store whose etcd client loses the reply of the transaction that makes
 * `path` visible (the first such one that applies): `instead` answers in its
 * place, given a way to send the same request again.
 */
async function losingCommitReply(path: string, instead: (resend: () => Promise<ITxnResponse>) => Promise<ITxnResponse>): Promise<{ store: MetadataStore; lost: () => number }> {
  const store = await open();
  // Private, and typed only here: a declaration file drops private members' types.
  const kv: EtcdKv = store['kv'];
  const fileKey = kv.bytes(keys.file(path));
  const rpc = kv.client.kv;
  const send = rpc.txn.bind(rpc);
  let lost = 0;
  rpc.txn = async (req, options) => {
    const res = await send(req, options);
    const commits = req.success?.some((op) => op.request_put?.key?.equals(fileKey)) ?? false;
    if (!commits || !res.succeeded || lost > 0) return res;
    lost++;
    return instead(() => send(req, options));
  };
  return { store, lost: () => lost };
}

/** The file is at its path with every chunk listed, referenced and live; a retry of the commit gets it. */
async function expectWhole(store: MetadataStore, committed: CommitInput): Promise<string> {
  const file = await store.getFile(committed.path);
  expect(file).toMatchObject({ path: committed.path, chunkCount: committed.chunks.length });
  const ids = committed.chunks.map((c) => c.chunkId);
  expect((await allChunks(store, file!.fileId)).map((c) => [c.index, c.chunkId])).toEqual(committed.chunks.map((c) => [c.index, c.chunkId]));
  expect(await store.referencedChunks(ids)).toEqual(new Set(ids));
  const live = await store.liveFilesOfChunks(ids);
  expect(ids.map((id) => live.get(id)?.fileId)).toEqual(ids.map(() => file!.fileId));
  expect(await store.getUpload(committed.uploadId)).toBeUndefined();
  expect(await allGc(store)).toEqual([]);
  const retry = await store.commitFile(committed);
  expect([retry.alreadyCommitted, retry.file.fileId]).toEqual([true, file!.fileId]);
  expect((await store.getCommittedUpload(committed.uploadId))?.fileId).toBe(file!.fileId);
  return file!.fileId;
}

// The connection drops after etcd applied the commit of a file of more than 24
// chunks (INLINE_CHUNKS), whose list was written before the commit transaction.
// Whether the error reaches the caller or etcd3 re-sends the transaction (its
// retry policy does for Unavailable), nothing may take the committed list for
// a failed commit's leftovers.
describe('EtcdMetadataStore: a commit whose reply is lost', () => {
  it('keeps the file whole when the error reaches the caller', async () => {
    const big = input('/lost/once', 30);
    const { store, lost } = await losingCommitReply(big.path, async () => {
      throw new GRPCUnavailableError('14 UNAVAILABLE: connection dropped (simulated, after the commit applied)');
    });
    await openUpload(store, big);
    await expectCode(store.commitFile(big), Code.Unavailable);
    expect(lost()).toBe(1);
    await expectWhole(store, big);
  });

  it('keeps the file whole and answers with it when the transaction is re-sent', async () => {
    const big = input('/lost/resent', 30);
    const { store, lost } = await losingCommitReply(big.path, (resend) => resend());
    await openUpload(store, big);
    const result = await store.commitFile(big);
    expect(lost()).toBe(1);
    expect(result.alreadyCommitted).toBe(false);
    expect(result.replaced).toBeUndefined();
    expect(await expectWhole(store, big)).toBe(result.file.fileId);
  });
});

// The commit transaction is still on its way (queued in etcd) when its caller
// gives up: the cleanup of the pre-written list must first make sure it can
// no longer apply, or it would land as a file whose chunk list is gone.
describe('EtcdMetadataStore: a commit transaction that arrives after its caller gave up', () => {
  it('can no longer apply once the leftovers are cleaned up; the upload stays open and commits later', async () => {
    const big = input('/late/commit', 30);
    const store = await open();
    const kv: EtcdKv = store['kv'];
    const fileKey = kv.bytes(keys.file(big.path));
    const rpc = kv.client.kv;
    const send = rpc.txn.bind(rpc);
    let late: (() => Promise<ITxnResponse>) | undefined;
    rpc.txn = async (req, options) => {
      const commits = req.success?.some((op) => op.request_put?.key?.equals(fileKey)) ?? false;
      if (!commits || late) return send(req, options);
      late = () => send(req, options);
      throw new GRPCUnavailableError('14 UNAVAILABLE: deadline passed (simulated, the transaction is still queued)');
    };
    await openUpload(store, big);
    await expectCode(store.commitFile(big), Code.Unavailable);
    expect(late).toBeDefined();
    const arrived = await late!();
    expect(arrived.succeeded).toBe(false);
    expect(await store.getFile(big.path)).toBeUndefined();
    expect(await store.getUpload(big.uploadId)).toBeDefined();
    const { file, alreadyCommitted } = await store.commitFile(big);
    expect(alreadyCommitted).toBe(false);
    expect(await expectWhole(store, big)).toBe(file.fileId);
  });
});
