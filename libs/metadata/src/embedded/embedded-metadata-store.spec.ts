import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code } from '@dfs/proto';
import { describeMetadataContract } from '../testing/index.js';
import { commitInput, expectCode, nodeRecord, openUpload, putFile, uploadRecord } from '../testing/contract-fixtures.js';
import { EmbeddedMetadataStore } from './embedded-metadata-store.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dfs-metadata-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describeMetadataContract('embedded', async () => EmbeddedMetadataStore.open(await tempDir()), { large: true });

describe('EmbeddedMetadataStore', () => {
  it('keeps everything across close and reopen', async () => {
    const dir = await tempDir();
    let store = await EmbeddedMetadataStore.open(dir);
    const { file } = await putFile(store, '/keep/me', { chunkCount: 3 });
    await store.putNode(nodeRecord('n1'));
    const up = uploadRecord('/open/upload');
    await store.createUpload(up);
    await store.deletePath('/keep/me');
    await putFile(store, '/keep/other');
    await store.close();

    store = await EmbeddedMetadataStore.open(dir);
    expect(await store.getFile('/keep/other')).toBeDefined();
    expect(await store.getFile('/keep/me')).toBeUndefined();
    expect((await store.peekGc(10)).map((e) => (e.kind === 'file' ? e.fileId : ''))).toEqual([file.fileId]);
    expect((await store.getUpload(up.uploadId))?.path).toBe('/open/upload');
    const n2 = await store.putNode(nodeRecord('n2'));
    expect(n2.version).toBe(2);
    await store.close();
  });

  it('refuses a second open of the same directory while the first is open (FailedPrecondition)', async () => {
    const dir = await tempDir();
    const store = await EmbeddedMetadataStore.open(dir);
    try {
      const err = await expectCode(EmbeddedMetadataStore.open(dir), Code.FailedPrecondition);
      expect(err.message).toMatch(/another process/);
    } finally {
      await store.close();
    }
    await (await EmbeddedMetadataStore.open(dir)).close();
  });

  it('fails with a clear error when the data directory cannot be used', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'plain-file'), 'x');
    const err = await expectCode(EmbeddedMetadataStore.open(join(dir, 'plain-file')), Code.Internal);
    expect(err.message).toMatch(/opening metadata database/);
  });

  it('answers writes queued before close, then refuses new ones (Unavailable)', async () => {
    const store = await EmbeddedMetadataStore.open(await tempDir());
    const late = commitInput('/late');
    await openUpload(store, late);
    const pending = store.commitFile(late);
    await store.close();
    expect((await pending).file.path).toBe('/late');
    await expectCode(store.getFile('/late'), Code.Unavailable);
  });

  it('commits upload-session writes without an fsync of their own, unless a durable write shares their transaction', async () => {
    const store = await EmbeddedMetadataStore.open(await tempDir());
    try {
      const before = store.commitStats;
      // Writes issued in one tick share a transaction.
      await Promise.all([store.createUpload(uploadRecord('/a')), store.createUpload(uploadRecord('/b'))]);
      const placed = uploadRecord('/c');
      await store.createUpload(placed);
      await store.placeChunks(placed.uploadId, [{ index: 0, chunkId: 'f'.repeat(32), nodeIds: ['n1'] }], new Date(Date.now() + 60_000));
      expect(store.commitStats).toEqual({ durable: before.durable, deferred: before.deferred + 3 });

      // The upload of /e is created in that same durable transaction.
      const e = commitInput('/e');
      await Promise.all([store.createUpload(uploadRecord('/d')), store.putNode(nodeRecord('n1')), openUpload(store, e)]);
      await store.commitFile(e);
      expect(store.commitStats).toEqual({ durable: before.durable + 2, deferred: before.deferred + 3 });
      // Everything reads back, deferred or not.
      expect((await store.getUpload(placed.uploadId))?.placements.map((p) => p.chunkId)).toContain('f'.repeat(32));
      expect(await store.getFile('/e')).toBeDefined();
    } finally {
      await store.close();
    }
  });

  it('keeps a commit that resolved when the process is killed right after (SIGKILL)', async () => {
    const dir = await tempDir();
    const script = join(__dirname, 'test', 'commit-then-hang.cjs');
    const child = spawn(process.execPath, [script, dir, '/durable/file'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [fileId, uploadId] = await new Promise<[string, string]>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /committed (\w+) (\S+)\n/.exec(out);
        if (m) {
          // Killed the moment commitFile resolved: no close, no checkpoint, no clean exit.
          child.kill('SIGKILL');
          resolve([m[1]!, m[2]!]);
        }
      });
      child.on('exit', (code, signal) => reject(new Error(`child exited early (${code ?? signal})`)));
    });
    await new Promise((r) => child.once('exit', r));
    const store = await EmbeddedMetadataStore.open(dir);
    try {
      expect((await store.getFile('/durable/file'))?.fileId).toBe(fileId);
      // The upload it came from (created without an fsync of its own) is closed, its commit remembered.
      expect(await store.getUpload(uploadId)).toBeUndefined();
      expect((await store.getCommittedUpload(uploadId))?.fileId).toBe(fileId);
    } finally {
      await store.close();
    }
  }, 30_000);
});
