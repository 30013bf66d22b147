import { createMemoryMembershipStore } from './memory-membership-store.js';
import { node } from './test/fixtures.js';

describe('createMemoryMembershipStore', () => {
  it('assigns increasing versions and answers changes since a version', async () => {
    const store = createMemoryMembershipStore();
    const { version: _a, ...a } = node('a');
    const { version: _b, ...b } = node('b');
    expect((await store.putNode(a)).version).toBe(1);
    expect((await store.putNode(b)).version).toBe(2);
    expect((await store.putNode({ ...a, state: 'suspect' })).version).toBe(3);
    expect(await store.nodesChangedSince(1)).toMatchObject({ version: 3, full: false, nodes: [{ nodeId: 'b' }, { nodeId: 'a', state: 'suspect' }] });
    expect(await store.nodesChangedSince(3)).toMatchObject({ nodes: [], full: false });
    expect((await store.nodesChangedSince(99)).full).toBe(true);
    expect((await store.listNodes()).map((n) => n.nodeId).sort()).toEqual(['a', 'b']);
  });

  it('hands out copies, so callers cannot change what it holds', async () => {
    const store = createMemoryMembershipStore();
    const { version: _v, ...a } = node('a', { lastHeartbeat: new Date(5_000) });
    const stored = await store.putNode(a);
    stored.state = 'dead';
    stored.lastHeartbeat.setTime(0);
    (await store.getNode('a'))!.address = 'elsewhere';
    expect(await store.getNode('a')).toMatchObject({ state: 'healthy', address: a.address, lastHeartbeat: a.lastHeartbeat });
  });
});
