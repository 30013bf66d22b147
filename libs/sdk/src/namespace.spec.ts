import { DfsError, createDfsClient, isDfsError, type FileInfo } from './index.js';
import { useSdkCluster } from './test/use-sdk-cluster.js';

// stat, list (paging, recursive), delete, rename, nodes, status, and errors
// mapped to codes with messages that say what to do.
jest.setTimeout(120_000);

const sdk = useSdkCluster('namespace', { datanodes: 2, replication: 2, zones: ['zone-a', 'zone-b'] });

beforeAll(async () => {
  for (const path of ['/tree/a.txt', '/tree/b.txt', '/tree/sub/c.txt', '/tree/sub/deeper/d.txt', '/tree/z.txt', '/treehouse/e.txt']) {
    await sdk.dfs.upload(path, Buffer.from(path));
  }
});

async function collect(iterable: AsyncIterable<FileInfo>): Promise<FileInfo[]> {
  const out: FileInfo[] = [];
  for await (const e of iterable) out.push(e);
  return out;
}

describe('stat', () => {
  it('describes a file and a directory', async () => {
    expect(await sdk.dfs.stat('/tree/a.txt')).toMatchObject({ path: '/tree/a.txt', isDirectory: false, size: 11, chunkCount: 1, replication: 2 });
    expect(await sdk.dfs.stat('/tree/sub')).toEqual(expect.objectContaining({ path: '/tree/sub', isDirectory: true, size: 0, sha256: '' }));
    expect((await sdk.dfs.stat('/')).isDirectory).toBe(true);
  });
});

describe('list', () => {
  it('lists direct entries with directories marked, in path order, across pages', async () => {
    const entries = await collect(sdk.dfs.list('/tree', { pageSize: 2 }));
    expect(entries.map((e) => [e.path, e.isDirectory])).toEqual([
      ['/tree/a.txt', false],
      ['/tree/b.txt', false],
      ['/tree/sub', true],
      ['/tree/z.txt', false],
    ]);
  });

  it('lists every file below a directory with recursive, page by page, not its prefix siblings', async () => {
    const paths = (await collect(sdk.dfs.list('/tree', { recursive: true, pageSize: 1 }))).map((e) => e.path);
    expect(paths).toEqual(['/tree/a.txt', '/tree/b.txt', '/tree/sub/c.txt', '/tree/sub/deeper/d.txt', '/tree/z.txt']);
  });

  it('fails with NotFound for a missing directory and FailedPrecondition for a file', async () => {
    await expect(collect(sdk.dfs.list('/nowhere'))).rejects.toMatchObject({ name: 'DfsError', code: 'NotFound' });
    await expect(collect(sdk.dfs.list('/tree/a.txt'))).rejects.toMatchObject({ code: 'FailedPrecondition', message: expect.stringMatching(/is a file, not a directory/) });
    await expect(collect(sdk.dfs.list('/tree', { pageSize: 20_000 }))).rejects.toMatchObject({ code: 'InvalidArgument' });
  });
});

describe('rename and delete', () => {
  it('renames a file, refuses to replace one without overwrite, and replaces it with', async () => {
    await sdk.dfs.upload('/mv/one', Buffer.from('1'));
    await sdk.dfs.upload('/mv/two', Buffer.from('22'));
    expect(await sdk.dfs.rename('/mv/one', '/mv/renamed')).toEqual({ filesRenamed: 1 });
    await expect(sdk.dfs.stat('/mv/one')).rejects.toMatchObject({ code: 'NotFound' });
    await expect(sdk.dfs.rename('/mv/renamed', '/mv/two')).rejects.toMatchObject({ code: 'AlreadyExists' });
    expect(await sdk.dfs.rename('/mv/renamed', '/mv/two', { overwrite: true })).toEqual({ filesRenamed: 1 });
    expect((await sdk.dfs.stat('/mv/two')).size).toBe(1);
  });

  it('renames a directory with everything below it', async () => {
    await sdk.dfs.upload('/mvdir/x/1', Buffer.from('1'));
    await sdk.dfs.upload('/mvdir/x/y/2', Buffer.from('2'));
    expect(await sdk.dfs.rename('/mvdir/x', '/mvdir/moved')).toEqual({ filesRenamed: 2 });
    expect((await collect(sdk.dfs.list('/mvdir', { recursive: true }))).map((e) => e.path)).toEqual(['/mvdir/moved/1', '/mvdir/moved/y/2']);
  });

  it('deletes a file, and a tree only with recursive', async () => {
    await sdk.dfs.upload('/rm/tree/1', Buffer.from('1'));
    await sdk.dfs.upload('/rm/tree/2', Buffer.from('2'));
    await sdk.dfs.upload('/rm/file', Buffer.from('f'));
    expect(await sdk.dfs.delete('/rm/file')).toEqual({ filesDeleted: 1 });
    await expect(sdk.dfs.delete('/rm/tree')).rejects.toMatchObject({ code: 'FailedPrecondition' });
    expect(await sdk.dfs.delete('/rm/tree', { recursive: true })).toEqual({ filesDeleted: 2 });
    await expect(sdk.dfs.stat('/rm')).rejects.toMatchObject({ code: 'NotFound' });
  });
});

describe('nodes and status', () => {
  it('lists every datanode with its state, zone and usage', async () => {
    const nodes = await sdk.dfs.nodes();
    expect(nodes.map((n) => n.nodeId).sort()).toEqual(sdk.cluster.datanodes.map((d) => d.nodeId).sort());
    for (const n of nodes) {
      expect(n).toMatchObject({ state: 'healthy', address: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
      expect(n.capacityBytes).toBeGreaterThan(0);
      expect(n.lastHeartbeat).toBeInstanceOf(Date);
    }
    expect(nodes.map((n) => n.zone).sort()).toEqual(['zone-a', 'zone-b']);
  });

  it('sums the cluster up', async () => {
    const status = await sdk.dfs.status();
    expect(status).toMatchObject({ nodesHealthy: 2, nodesSuspect: 0, nodesDead: 0 });
    expect(status.files).toBeGreaterThanOrEqual(6);
    expect(status.capacityBytes).toBeGreaterThan(0);
  });
});

describe('errors', () => {
  it('are DfsErrors with string codes, a message that says what to do, and the wire error as cause', async () => {
    const err = await sdk.dfs.stat('/no/such/file').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DfsError);
    expect(isDfsError(err)).toBe(true);
    expect(err).toMatchObject({ name: 'DfsError', code: 'NotFound', message: '/no/such/file does not exist', retryable: false });
    expect((err as DfsError).cause).toBeInstanceOf(Error);
  });

  it('maps an existing path to AlreadyExists and says to pass overwrite', async () => {
    await expect(sdk.dfs.upload('/tree/a.txt', Buffer.from('again'))).rejects.toMatchObject({ code: 'AlreadyExists', message: '/tree/a.txt exists: pass overwrite to replace it' });
  });

  it('maps bad paths to InvalidArgument naming the rule, before any call', async () => {
    for (const [path, message] of [
      ['relative', /is not absolute/],
      ['/a/../b', /has a "\.\." component/],
      ['/nul\0byte', /contains a NUL character/],
    ] as const) {
      await expect(sdk.dfs.upload(path, Buffer.from('x'))).rejects.toMatchObject({ code: 'InvalidArgument', reason: 'BAD_PATH', message: expect.stringMatching(message) });
      await expect(sdk.dfs.stat(path)).rejects.toMatchObject({ code: 'InvalidArgument' });
    }
    await expect(sdk.dfs.upload('/', Buffer.from('x'))).rejects.toMatchObject({ code: 'InvalidArgument', message: expect.stringMatching(/root directory/) });
  });

  it('maps a missing local source file to NotFound naming it', async () => {
    await expect(sdk.dfs.upload('/x', '/definitely/not/here.bin')).rejects.toMatchObject({ code: 'NotFound', message: 'cannot read local file /definitely/not/here.bin: no such file or directory' });
  });

  it('maps bad options to InvalidArgument', async () => {
    await expect(sdk.dfs.upload('/x', Buffer.from('x'), { concurrency: 0 })).rejects.toMatchObject({ code: 'InvalidArgument', message: expect.stringMatching(/concurrency/) });
    await expect(sdk.dfs.upload('/x', Buffer.from('x'), { chunkSize: 1.5 })).rejects.toMatchObject({ code: 'InvalidArgument', message: 'chunkSize must be a whole number >= 1, got 1.5' });
    await expect(sdk.dfs.upload('/x', Buffer.from('x'), { chunkSize: 100 })).rejects.toMatchObject({ code: 'InvalidArgument', message: expect.stringMatching(/chunk size 100/) });
    await expect(sdk.dfs.upload('/x', Buffer.from('x'), { replication: 5 })).rejects.toMatchObject({ code: 'FailedPrecondition', message: expect.stringMatching(/start more datanodes/) });
    await expect(sdk.dfs.upload('/x', 42 as never)).rejects.toMatchObject({ code: 'InvalidArgument', message: expect.stringMatching(/upload source must be/) });
    expect(() => createDfsClient({ coordinators: [] })).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
    expect(() => createDfsClient({ coordinators: 'no port' })).toThrow(expect.objectContaining({ code: 'InvalidArgument', message: expect.stringMatching(/not host:port/) }));
    const coordinators = sdk.cluster.coordinator.address;
    for (const bad of [0, 65, 1.5]) {
      expect(() => createDfsClient({ coordinators, maxChunkWrites: bad })).toThrow(expect.objectContaining({ code: 'InvalidArgument', message: expect.stringMatching(/maxChunkWrites must be a whole number from 1 to 64/) }));
      expect(() => createDfsClient({ coordinators, maxChunkReads: bad })).toThrow(expect.objectContaining({ code: 'InvalidArgument', message: expect.stringMatching(/maxChunkReads/) }));
    }
    for (const bad of [1024, 65 * 1024 * 1024, 2 * 1024 * 1024 + 0.5]) {
      expect(() => createDfsClient({ coordinators, streamWindow: bad })).toThrow(expect.objectContaining({ code: 'InvalidArgument', message: expect.stringMatching(/streamWindow must be/) }));
    }
  });

  it('maps an unreachable coordinator to Unavailable, and a closed client to FailedPrecondition', async () => {
    const nowhere = createDfsClient({ coordinators: '127.0.0.1:1', callTimeoutMs: 2_000 });
    await expect(nowhere.stat('/')).rejects.toMatchObject({ code: 'Unavailable', retryable: true });
    await nowhere.close();
    await expect(nowhere.stat('/')).rejects.toMatchObject({ code: 'FailedPrecondition', message: expect.stringMatching(/client is closed/) });
  });
});
