// Tree renames against a real etcd, for the limit only etcd has: how deep a
// path may be (a commit compares every ancestor in one transaction). The
// path-length limit of renames is in the contract suite (contract-tree.ts).
import { startEtcd, type EtcdServer } from '@dfs/test-cluster';
import { Code } from '@dfs/proto';
import { commitInput, commitUpload, expectCode } from '../testing/contract-fixtures.js';
import { openEtcdMetadataStore, type EtcdMetadataStore } from './etcd-metadata-store.js';

let etcd: EtcdServer | undefined;
let store: EtcdMetadataStore | undefined;

beforeAll(async () => {
  etcd = await startEtcd({ name: 'etcd-tree' });
  store = await openEtcdMetadataStore({ endpoints: [etcd.endpoint], prefix: `tree${process.pid}` });
}, 30_000);

afterAll(async () => {
  await store?.close();
  await etcd?.stop();
});

describe('etcd tree rename', () => {
  it('refuses a target that would put a file below it deeper than a commit allows (InvalidArgument), and changes nothing', async () => {
    const s = store!;
    // 61 directories deep (60 ancestors): the deepest a commit allows with etcd's default 128 operations per transaction.
    const deep = `/t/${'a/'.repeat(59)}f`;
    await commitUpload(s, commitInput(deep, { chunkCount: 1 }));
    const err = await expectCode(s.rename('/t', '/u/t'), Code.InvalidArgument);
    expect(err.message).toMatch(/would become 62 directories deep; the etcd backend allows at most 61/);
    expect(await s.getFile(deep)).toBeDefined();
    expect(await s.list('/u')).toEqual({ entries: [] });

    // As deep as before is fine.
    expect(await s.rename('/t', '/w')).toEqual({ filesRenamed: 1 });
    expect(await s.getFile(`/w/${'a/'.repeat(59)}f`)).toBeDefined();
  });
});
