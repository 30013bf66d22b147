import { Code, isDfsError } from '@dfs/proto';
import { createMembership, type Membership } from './membership.js';
import type { MembershipStore } from './membership-store.js';
import { createMemoryMembershipStore } from './memory-membership-store.js';
import { fakeClock, stats } from './test/fixtures.js';

function setup(overrides: { store?: MembershipStore; statsPersistIntervalMs?: number } = {}) {
  const clock = fakeClock();
  const store = overrides.store ?? createMemoryMembershipStore();
  const membership = createMembership({ store, clock: clock.now, statsPersistIntervalMs: overrides.statsPersistIntervalMs });
  return { clock, store, membership };
}

async function registerAll(membership: Membership, ids: string[]): Promise<void> {
  for (const id of ids) await membership.register({ nodeId: id, address: `${id}:7001`, zone: 'z1', stats: stats() });
}

async function expectCode(promise: Promise<unknown> | (() => unknown), code: Code, text?: RegExp): Promise<void> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    expect(isDfsError(err)).toBe(true);
    expect((err as { code: Code }).code).toBe(code);
    if (text) expect((err as Error).message).toMatch(text);
    return;
  }
  throw new Error(`expected ${Code[code]}, but it succeeded`);
}

describe('createMembership options', () => {
  const store = createMemoryMembershipStore();
  it('uses the documented defaults', () => {
    const m = createMembership({ store });
    expect([m.heartbeatIntervalMs, m.suspectAfterMs, m.deadAfterMs]).toEqual([2_000, 6_000, 30_000]);
  });
  it.each([
    [{ heartbeatIntervalMs: 6_000 }, /heartbeatIntervalMs < suspectAfterMs < deadAfterMs/],
    [{ suspectAfterMs: 30_000 }, /heartbeatIntervalMs < suspectAfterMs < deadAfterMs/],
    [{ deadAfterMs: -1 }, /deadAfterMs must be a positive/],
    [{ statsPersistIntervalMs: -5 }, /statsPersistIntervalMs/],
  ])('refuses %j', (bad, message) => expectCode(() => createMembership({ store, ...bad }), Code.InvalidArgument, message));
});

describe('register', () => {
  it('adds a healthy node and moves the membership version', async () => {
    const { membership, clock, store } = setup();
    const node = await membership.register({ nodeId: 'a', address: 'a:7001', zone: 'z1', stats: stats({ freeBytes: 5 }) });
    expect(node).toMatchObject({ nodeId: 'a', state: 'healthy', zone: 'z1', freeBytes: 5 });
    expect(node.registeredAt.getTime()).toBe(clock.now());
    expect(node.version).toBeGreaterThan(0);
    expect(membership.version).toBe(node.version);
    expect(await store.getNode('a')).toMatchObject({ state: 'healthy', address: 'a:7001' });
  });

  it('keeps registeredAt on re-register and bumps the version only for address or zone changes', async () => {
    const { membership, clock } = setup();
    const first = await membership.register({ nodeId: 'a', address: 'a:7001', stats: stats() });
    clock.advance(1_000);
    const same = await membership.register({ nodeId: 'a', address: 'a:7001', stats: stats({ chunkCount: 99 }) });
    expect(same.registeredAt).toEqual(first.registeredAt);
    expect(same.chunkCount).toBe(99);
    expect(membership.version).toBe(first.version);
    const moved = await membership.register({ nodeId: 'a', address: 'a:7002', zone: 'z2', stats: stats() });
    expect(moved).toMatchObject({ address: 'a:7002', zone: 'z2' });
    expect(moved.registeredAt).toEqual(first.registeredAt);
    expect(membership.version).toBeGreaterThan(first.version);
  });

  it('refuses an address a different live node holds, until that node is dead', async () => {
    const { membership, clock } = setup();
    await membership.register({ nodeId: 'a', address: 'host:7001', stats: stats() });
    await expectCode(membership.register({ nodeId: 'b', address: 'host:7001', stats: stats() }), Code.AlreadyExists, /already registered by node a/);
    clock.advance(30_000);
    expect((await membership.tick()).map((t) => t.to)).toEqual(['dead']);
    const b = await membership.register({ nodeId: 'b', address: 'host:7001', stats: stats() });
    expect(b.state).toBe('healthy');
  });

  it('brings a dead node back to healthy', async () => {
    const { membership, clock } = setup();
    await membership.register({ nodeId: 'a', address: 'a:7001', stats: stats() });
    clock.advance(30_000);
    await membership.tick();
    expect(membership.node('a')?.state).toBe('dead');
    await expectCode(membership.heartbeat('a', stats(), membership.version), Code.NotFound, /declared dead.*register again/);
    expect((await membership.register({ nodeId: 'a', address: 'a:7001', stats: stats() })).state).toBe('healthy');
  });

  it('refuses bad input with InvalidArgument', async () => {
    const { membership } = setup();
    await expectCode(membership.register({ nodeId: '', address: 'a:1', stats: stats() }), Code.InvalidArgument, /non-empty id/);
    await expectCode(membership.register({ nodeId: 'a', address: '', stats: stats() }), Code.InvalidArgument, /address/);
    await expectCode(membership.register({ nodeId: 'a', address: 'a:1', stats: stats({ freeBytes: -1 }) }), Code.InvalidArgument, /stats.freeBytes/);
  });
});

describe('heartbeat and tick: the state machine', () => {
  it('goes suspect at exactly suspectAfterMs and dead at exactly deadAfterMs of silence', async () => {
    const { membership, clock } = setup();
    await registerAll(membership, ['a']);
    clock.advance(5_999);
    expect(await membership.tick()).toEqual([]);
    clock.advance(1);
    const [suspect] = await membership.tick();
    expect(suspect).toMatchObject({ nodeId: 'a', from: 'healthy', to: 'suspect', silentMs: 6_000 });
    expect(membership.live()).toEqual([]);
    clock.advance(30_000 - 6_000 - 1);
    expect(await membership.tick()).toEqual([]);
    clock.advance(1);
    expect(await membership.tick()).toMatchObject([{ nodeId: 'a', from: 'suspect', to: 'dead', silentMs: 30_000 }]);
    expect(await membership.tick()).toEqual([]);
  });

  it('goes straight from healthy to dead when ticks stalled', async () => {
    const { membership, clock } = setup();
    await registerAll(membership, ['a']);
    clock.advance(45_000);
    expect(await membership.tick()).toMatchObject([{ from: 'healthy', to: 'dead' }]);
  });

  it('does not count time the coordinator itself was stalled as the nodes\' silence', async () => {
    const clock = fakeClock();
    const stalls: number[] = [];
    const membership = createMembership({ store: createMemoryMembershipStore(), clock: clock.now, stalledMs: () => stalls.shift() ?? 0 });
    await registerAll(membership, ['a', 'b']);
    clock.advance(3_000);
    await membership.heartbeat('a', stats(), 0); // a beats 3 s after b's last word
    // Then the loop is blocked for 40 s: nobody's beats are read. The tick right after it knows.
    clock.advance(40_000);
    stalls.push(40_000);
    expect(await membership.tick()).toEqual([]);
    // Silence outside the stall still counts: b's 3 s before it, and what follows.
    clock.advance(3_000);
    expect(await membership.tick()).toMatchObject([{ nodeId: 'b', from: 'healthy', to: 'suspect', silentMs: 6_000 }]);
    // Nodes that really stopped go dead, later by the stall.
    clock.advance(24_000);
    expect((await membership.tick()).map((t) => [t.nodeId, t.to])).toEqual([['a', 'suspect'], ['b', 'dead']]);
  });

  it('brings a suspect node back to healthy on its next heartbeat, with a new version', async () => {
    const { membership, clock } = setup();
    await registerAll(membership, ['a', 'b']);
    clock.advance(6_000);
    await membership.tick();
    const before = membership.version;
    clock.advance(1_000);
    const result = await membership.heartbeat('a', stats(), before);
    expect(result.transition).toMatchObject({ from: 'suspect', to: 'healthy', silentMs: 7_000 });
    expect(result.node.state).toBe('healthy');
    expect(result.membershipVersion).toBeGreaterThan(before);
    expect(result.updates.map((n) => n.nodeId)).toEqual(['a']);
    expect(membership.counts()).toEqual({ total: 2, healthy: 1, suspect: 1, dead: 0, draining: 0, drained: 0 });
  });

  it('keeps a node healthy while it beats, and resets the timer on every beat', async () => {
    const { membership, clock } = setup();
    await registerAll(membership, ['a']);
    for (let i = 0; i < 50; i++) {
      clock.advance(5_999);
      await membership.heartbeat('a', stats(), membership.version);
      expect(await membership.tick()).toEqual([]);
    }
    expect(membership.node('a')?.state).toBe('healthy');
  });

  it('answers NotFound with a hint to register for an unknown node', async () => {
    const { membership } = setup();
    await expectCode(membership.heartbeat('ghost', stats(), 0), Code.NotFound, /register again/);
  });
});

describe('versioned updates', () => {
  it('does not move the version for plain heartbeats, and writes stats at most every 30 s', async () => {
    const store = createMemoryMembershipStore();
    const puts: number[] = [];
    const counting: MembershipStore = { ...store, putNode: (n) => (puts.push(n.lastHeartbeat.getTime()), store.putNode(n)) };
    const { membership, clock } = setup({ store: counting });
    await registerAll(membership, ['a', 'b', 'c']);
    const version = membership.version;
    puts.length = 0;
    for (let beat = 0; beat < 45; beat++) {
      clock.advance(2_000);
      for (const id of ['a', 'b', 'c']) {
        const r = await membership.heartbeat(id, stats({ usedBytes: beat * 1_000, chunkCount: beat }), version);
        expect(r).toMatchObject({ membershipVersion: version, full: false, updates: [] });
      }
      await membership.tick();
    }
    await membership.flush();
    // 90 s of beats: each node's stats were written 3 times (at 30, 60, 90 s), never more.
    expect(puts.length).toBe(9);
    expect(membership.version).toBe(version);
    expect((await store.getNode('a'))?.chunkCount).toBeGreaterThanOrEqual(28);
    expect(membership.node('a')?.chunkCount).toBe(44);
  });

  it('writes stats only with membership changes when statsPersistIntervalMs is Infinity', async () => {
    const store = createMemoryMembershipStore();
    const { membership, clock } = setup({ store, statsPersistIntervalMs: Infinity });
    await registerAll(membership, ['a']);
    clock.advance(60_000);
    await membership.heartbeat('a', stats({ chunkCount: 7 }), 0);
    await membership.flush();
    expect((await store.getNode('a'))?.chunkCount).toBe(10);
  });

  it('sends only what changed since knownVersion, and the full table when the version is unknown', async () => {
    const { membership, clock } = setup();
    await registerAll(membership, ['a', 'b', 'c']);
    const seen = membership.version;
    expect((await membership.heartbeat('a', stats(), seen)).updates).toEqual([]);
    // b stops beating; a and c keep going.
    for (let t = 0; t < 3; t++) {
      clock.advance(2_000);
      await membership.heartbeat('a', stats(), seen);
      await membership.heartbeat('c', stats(), seen);
      await membership.tick();
    }
    const incremental = await membership.heartbeat('a', stats(), seen);
    expect(incremental.full).toBe(false);
    expect(incremental.updates).toMatchObject([{ nodeId: 'b', state: 'suspect' }]);
    expect(incremental.membershipVersion).toBeGreaterThan(seen);
    expect(incremental.updates[0]!.version).toBe(incremental.membershipVersion);
    // Caught up: nothing more to send.
    expect((await membership.heartbeat('a', stats(), incremental.membershipVersion)).updates).toEqual([]);

    for (const known of [0, incremental.membershipVersion + 1_000, -1, 1.5]) {
      const full = await membership.heartbeat('c', stats(), known);
      expect(full.full).toBe(true);
      expect(full.updates.map((n) => n.nodeId).sort()).toEqual(['a', 'b', 'c']);
    }
  });
});

describe('load after a coordinator restart', () => {
  it('distrusts every node until it beats again, and lets the silent ones die', async () => {
    const store = createMemoryMembershipStore();
    const before = setup({ store });
    await registerAll(before.membership, ['a', 'b', 'c']);
    before.clock.advance(30_000);
    await before.membership.heartbeat('a', stats(), 0);
    await before.membership.heartbeat('b', stats(), 0);
    await before.membership.tick(); // c is dead
    await before.membership.flush();

    const clock = fakeClock(before.clock.now() + 60_000);
    const membership = createMembership({ store, clock: clock.now });
    const transitions = await membership.load();
    expect(transitions.map((t) => [t.nodeId, t.from, t.to])).toEqual([
      ['a', 'healthy', 'suspect'],
      ['b', 'healthy', 'suspect'],
    ]);
    expect(membership.live()).toEqual([]);
    expect(membership.node('a')?.lastHeartbeat.getTime()).toBe(clock.now());
    expect(membership.node('c')?.state).toBe('dead');
    expect((await store.getNode('a'))?.state).toBe('suspect');
    const versionAfterLoad = membership.version;
    expect(versionAfterLoad).toBeGreaterThan(before.membership.version);

    // a comes back; b never does.
    clock.advance(3_000);
    expect((await membership.heartbeat('a', stats(), 0)).node.state).toBe('healthy');
    expect(await membership.tick()).toEqual([]);
    for (let t = 0; t < 9; t++) {
      clock.advance(3_000);
      await membership.heartbeat('a', stats(), 0);
    }
    expect(await membership.tick()).toMatchObject([{ nodeId: 'b', from: 'suspect', to: 'dead', silentMs: 30_000 }]);
    expect(membership.live().map((n) => n.nodeId)).toEqual(['a']);
    // A node's version from before the restart is still answered incrementally.
    const r = await membership.heartbeat('a', stats(), versionAfterLoad);
    expect(r.full).toBe(false);
    expect(r.updates.map((n) => n.nodeId).sort()).toEqual(['a', 'b']);
  });
});

describe('draining nodes', () => {
  it('stay draining through load, re-register and heartbeats, take no placements, and die when silent', async () => {
    const store = createMemoryMembershipStore();
    const at = new Date(Date.UTC(2026, 0, 1));
    await store.putNode({ nodeId: 'x', address: 'x:1', zone: '', state: 'draining', ...stats(), registeredAt: at, lastHeartbeat: at });
    const { membership, clock } = setup({ store });
    expect(await membership.load()).toEqual([]);
    expect(membership.node('x')).toMatchObject({ state: 'draining', lastHeartbeat: new Date(clock.now()) });
    await membership.register({ nodeId: 'x', address: 'x:1', stats: stats() });
    clock.advance(10_000);
    expect(await membership.tick()).toEqual([]);
    expect((await membership.heartbeat('x', stats(), 0)).node.state).toBe('draining');
    expect(membership.live()).toEqual([]);
    clock.advance(30_000);
    expect(await membership.tick()).toMatchObject([{ from: 'draining', to: 'dead' }]);
  });

  it.each(['draining', 'drained'] as const)('are %s again when they die and register again, also after a coordinator restart', async (admin) => {
    const { membership, clock, store } = setup();
    await registerAll(membership, ['a', 'b']);
    await membership.setAdminState('a', 'draining');
    if (admin === 'drained') await membership.setAdminState('a', 'drained');
    clock.advance(30_000);
    await membership.heartbeat('b', stats(), 0);
    expect(await membership.tick()).toMatchObject([{ nodeId: 'a', from: admin, to: 'dead' }]);
    expect((await membership.register({ nodeId: 'a', address: 'a:7001', stats: stats() })).state).toBe(admin);
    expect(membership.live().map((n) => n.nodeId)).toEqual(['b']);

    // Dead again, with a coordinator restart in between: the decision is in the store.
    clock.advance(30_000);
    await membership.heartbeat('b', stats(), 0);
    await membership.tick();
    await membership.flush();
    expect((await store.getNode('a'))?.state).toBe('dead');
    const restarted = createMembership({ store, clock: clock.now });
    await restarted.load();
    expect(restarted.node('a')?.state).toBe('dead');
    expect((await restarted.register({ nodeId: 'a', address: 'a:7001', stats: stats() })).state).toBe(admin);
    // Back to healthy on the operator's word: a later death and return is healthy.
    await restarted.setAdminState('a', 'healthy');
    clock.advance(30_000);
    await restarted.tick();
    expect((await restarted.register({ nodeId: 'a', address: 'a:7001', stats: stats() })).state).toBe('healthy');
  });

  it('go draining, drained and back to healthy on an operator\'s word, persisted with a new version; no skipped steps', async () => {
    const { membership, store } = setup();
    await registerAll(membership, ['a', 'b']);
    const before = membership.version;
    expect(await membership.setAdminState('a', 'draining')).toMatchObject({ nodeId: 'a', from: 'healthy', to: 'draining' });
    expect(membership.version).toBeGreaterThan(before);
    expect((await store.getNode('a'))!.state).toBe('draining');
    expect(await membership.setAdminState('a', 'draining')).toBeUndefined();
    await expectCode(membership.setAdminState('b', 'drained'), Code.FailedPrecondition, /healthy/);
    await expectCode(membership.setAdminState('nobody', 'draining'), Code.NotFound);
    expect(await membership.setAdminState('a', 'drained')).toMatchObject({ from: 'draining', to: 'drained' });
    expect(membership.live().map((n) => n.nodeId)).toEqual(['b']);
    expect(await membership.setAdminState('a', 'healthy')).toMatchObject({ from: 'drained', to: 'healthy' });
    expect(membership.live().map((n) => n.nodeId)).toEqual(['a', 'b']);
  });

  it('can have the drain of a dead node called off: it stays dead, and comes back healthy, also after a restart', async () => {
    const { membership, clock, store } = setup();
    await registerAll(membership, ['a', 'b']);
    await membership.setAdminState('a', 'draining');
    clock.advance(30_000);
    await membership.heartbeat('b', stats(), 0);
    expect(await membership.tick()).toMatchObject([{ nodeId: 'a', to: 'dead' }]);
    await expectCode(membership.setAdminState('a', 'drained'), Code.FailedPrecondition, /dead/);
    expect(await membership.setAdminState('a', 'healthy')).toBeUndefined();
    expect(membership.node('a')?.state).toBe('dead');
    await membership.flush();
    expect((await store.getNode('a'))?.adminState).toBeUndefined();
    const restarted = createMembership({ store, clock: clock.now });
    await restarted.load();
    expect((await restarted.register({ nodeId: 'a', address: 'a:7001', stats: stats() })).state).toBe('healthy');
  });
});

describe('store failures', () => {
  it('keeps a transition in memory when the write fails, reports it, and retries on the next tick', async () => {
    const store = createMemoryMembershipStore();
    let failing = false;
    const flaky: MembershipStore = {
      ...store,
      putNode: (n) => (failing ? Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })) : store.putNode(n)),
    };
    const errors: string[] = [];
    const clock = fakeClock();
    const membership = createMembership({ store: flaky, clock: clock.now, onPersistError: (e, id) => errors.push(`${id}:${Code[e.code]}`) });
    await membership.register({ nodeId: 'a', address: 'a:1', stats: stats() });
    failing = true;
    clock.advance(6_000);
    expect(await membership.tick()).toHaveLength(1);
    expect(errors).toEqual(['a:Unavailable']);
    expect(membership.node('a')?.state).toBe('suspect');
    expect((await store.getNode('a'))?.state).toBe('healthy');
    await expectCode(membership.register({ nodeId: 'b', address: 'b:1', stats: stats() }), Code.Unavailable, /could not save node b/);
    failing = false;
    expect(await membership.tick()).toEqual([]);
    expect((await store.getNode('a'))?.state).toBe('suspect');
    expect(membership.node('a')?.version).toBe(membership.version);
  });
});
