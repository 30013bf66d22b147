import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code } from '@dfs/proto';
import { describeMetadataContract } from '../testing/index.js';
import { commitInput, expectCode, nodeRecord, putFile, uploadRecord } from '../testing/contract-fixtures.js';
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
    const pending = store.commitFile(commitInput('/late'));
    await store.close();
    expect((await pending).file.path).toBe('/late');
    await expectCode(store.getFile('/late'), Code.Unavailable);
  });

  it('keeps a commit that resolved when the process is killed right after (SIGKILL)', async () => {
    const dir = await tempDir();
    const script = join(__dirname, 'test', 'commit-then-hang.cjs');
    const child = spawn(process.execPath, [script, dir, '/durable/file'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const fileId = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /committed (\w+)\n/.exec(out);
        if (m) {
          // Killed the moment commitFile resolved: no close, no checkpoint, no clean exit.
          child.kill('SIGKILL');
          resolve(m[1]!);
        }
      });
      child.on('exit', (code, signal) => reject(new Error(`child exited early (${code ?? signal})`)));
    });
    await new Promise((r) => child.once('exit', r));
    const store = await EmbeddedMetadataStore.open(dir);
    try {
      expect((await store.getFile('/durable/file'))?.fileId).toBe(fileId);
    } finally {
      await store.close();
    }
  }, 30_000);
});
