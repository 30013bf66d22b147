import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { pacedSource } from '@dfs/test-cluster';
import { sha256 } from './test/sources.js';
import { useSdkCluster } from './test/use-sdk-cluster.js';

// The coordinator expires an upload a TTL after its last call (2 s here;
// its sweep runs every 5 s). An upload whose first chunk takes far longer
// than that to arrive makes no call meanwhile: it lives on its renewals.
jest.setTimeout(120_000);

const sdk = useSdkCluster('upload-renewal', { datanodes: 3, replication: 3, coordinatorEnv: { DFS_UPLOAD_TTL: '2s' } });

describe('an upload slower than the upload TTL', () => {
  it('is kept open by its renewals and commits', async () => {
    const pieces = Array.from({ length: 12 }, () => randomBytes(16 * 1024));
    // One chunk, its bytes arriving over ~12 s: placed (AllocateChunks) only once it is whole.
    const source = pacedSource(pieces, (i) => (i === 0 ? Promise.resolve() : sleep(1_000)));
    const info = await sdk.dfs.upload('/renewal/slow.bin', source, { chunkSize: 1024 * 1024 });
    expect(info).toMatchObject({ path: '/renewal/slow.bin', size: 12 * 16 * 1024, sha256: sha256(Buffer.concat(pieces)) });
    expect((await sdk.dfs.stat('/renewal/slow.bin')).size).toBe(12 * 16 * 1024);
  });
});
