import { createMembership } from './membership.js';
import type { MembershipStore, NodeRecord } from './membership-store.js';
import { createMemoryMembershipStore } from './memory-membership-store.js';
import { fakeClock, seededRandom, stats } from './test/fixtures.js';

/** A store whose writes finish after a random number of event-loop turns, so they overlap. */
function slowStore(random: () => number): MembershipStore {
  const inner = createMemoryMembershipStore();
  const turns = async () => {
    for (let i = Math.floor(random() * 4); i > 0; i--) await new Promise((resolve) => setImmediate(resolve));
  };
  return { ...inner, putNode: async (n) => (await turns(), inner.putNode(n)) };
}

const view = (n: NodeRecord) => `${n.nodeId} ${n.state} ${n.address} ${n.zone}`;

describe('membership versions under overlapping writes', () => {
  it.each([1, 2, 3, 4, 5])('an observer applying only heartbeat updates converges on the table (seed %i)', async (seed) => {
    const random = seededRandom(seed);
    const clock = fakeClock();
    const membership = createMembership({ store: slowStore(random), clock: clock.now, statsPersistIntervalMs: 5_000 });
    const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
    await membership.register({ nodeId: 'observer', address: 'observer:1', stats: stats() });
    for (const id of ids) await membership.register({ nodeId: id, address: `${id}:1`, zone: 'z1', stats: stats() });

    const table = new Map<string, NodeRecord>();
    let known = 0;
    let lastVersion = 0;
    const observe = async () => {
      const r = await membership.heartbeat('observer', stats(), known);
      if (r.full) table.clear();
      for (const n of r.updates) table.set(n.nodeId, n);
      expect(r.membershipVersion).toBeGreaterThanOrEqual(known === 0 ? 0 : known);
      known = r.membershipVersion;
    };

    // Each node goes quiet now and then, for long enough to turn suspect or dead.
    const quietUntil = new Map<string, number>();
    const seen = new Set<string>();
    for (let step = 0; step < 300; step++) {
      clock.advance(Math.floor(random() * 4_000));
      const work: Promise<unknown>[] = [observe()];
      for (const id of ids) {
        const roll = random();
        const node = membership.node(id)!;
        if (roll < 0.03) quietUntil.set(id, step + 2 + Math.floor(random() * 20));
        if ((quietUntil.get(id) ?? 0) > step) continue;
        if (node.state === 'dead') {
          if (roll < 0.2) work.push(membership.register({ nodeId: id, address: `${id}:${1 + Math.floor(random() * 3)}`, zone: `z${Math.floor(random() * 2)}`, stats: stats() }));
        } else if (roll < 0.6) {
          work.push(membership.heartbeat(id, stats({ chunkCount: step }), known));
        }
      }
      work.push(membership.tick().then((ts) => ts.forEach((t) => seen.add(`${t.from}>${t.to}`))));
      await Promise.all(work);
      expect(membership.version).toBeGreaterThanOrEqual(lastVersion);
      lastVersion = membership.version;
    }
    await membership.flush();
    await observe();
    expect([...table.values()].map(view).sort()).toEqual(membership.nodes().map(view));
    // The run exercised the whole state machine.
    expect(seen).toEqual(new Set(['healthy>suspect', 'suspect>dead']));
  });

  it('lets exactly one of two nodes racing for one address register', async () => {
    const membership = createMembership({ store: slowStore(seededRandom(1)) });
    const results = await Promise.allSettled([
      membership.register({ nodeId: 'a', address: 'host:1', stats: stats() }),
      membership.register({ nodeId: 'b', address: 'host:1', stats: stats() }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(membership.nodes()).toHaveLength(1);
  });
});
