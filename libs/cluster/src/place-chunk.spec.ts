import { Code, isDfsError } from '@dfs/proto';
import type { NodeRecord } from './membership-store.js';
import { placeChunk, placeChunks, placementReserveBytes, tryPlaceChunk } from './place-chunk.js';
import { GiB, MiB, node, seededRandom } from './test/fixtures.js';

const chunkSize = 8 * MiB;

function sixNodes(zones?: string[]): NodeRecord[] {
  return ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'].map((id, i) => node(id, { zone: zones?.[i] ?? '' }));
}

function expectDfsError(fn: () => unknown, code: Code, text: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(isDfsError(err)).toBe(true);
    expect((err as { code: Code }).code).toBe(code);
    expect((err as Error).message).toMatch(text);
    return;
  }
  throw new Error(`expected ${Code[code]}, but it succeeded`);
}

function replicaSlots(placements: NodeRecord[][]): Map<string, number> {
  const slots = new Map<string, number>();
  for (const nodes of placements) for (const n of nodes) slots.set(n.nodeId, (slots.get(n.nodeId) ?? 0) + 1);
  return slots;
}

describe('placeChunk', () => {
  it('picks R distinct healthy nodes, never excluded ones, primary first', () => {
    const nodes = [...sixNodes(), node('s', { state: 'suspect' }), node('d', { state: 'dead' }), node('x', { state: 'draining' })];
    const random = seededRandom(1);
    for (let i = 0; i < 1_000; i++) {
      const chosen = placeChunk(nodes, { replication: 3, chunkSize, exclude: new Set(['n1', 'n2']), random });
      const ids = chosen.map((n) => n.nodeId);
      expect(new Set(ids).size).toBe(3);
      for (const id of ids) expect(['n3', 'n4', 'n5', 'n6']).toContain(id);
    }
  });

  it('returns the records it was given, and the same choice for the same random sequence', () => {
    const nodes = sixNodes();
    const a = placeChunk(nodes, { replication: 3, chunkSize, random: seededRandom(7) });
    const b = placeChunk(nodes, { replication: 3, chunkSize, random: seededRandom(7) });
    expect(a).toEqual(b);
    expect(nodes).toContain(a[0]);
  });

  it('keeps a reserve of 1% of capacity, at most 1 GiB, free on every node', () => {
    expect(placementReserveBytes({ capacityBytes: 10 * GiB })).toBe(Math.ceil(0.1 * GiB));
    expect(placementReserveBytes({ capacityBytes: 4_000 * GiB })).toBe(GiB);
    const reserve = placementReserveBytes({ capacityBytes: 100 * GiB });
    const nodes = [
      node('exact', { freeBytes: chunkSize + reserve }),
      node('short', { freeBytes: chunkSize + reserve - 1 }),
      node('roomy', { freeBytes: 50 * GiB }),
    ];
    const random = seededRandom(3);
    for (let i = 0; i < 200; i++) {
      const ids = placeChunk(nodes, { replication: 2, chunkSize, random }).map((n) => n.nodeId);
      expect(ids.sort()).toEqual(['exact', 'roomy']);
    }
  });

  it('spans 3 zones every time with 3 zones of 2 nodes and R=3', () => {
    const nodes = sixNodes(['a', 'a', 'b', 'b', 'c', 'c']);
    const random = seededRandom(11);
    for (let i = 0; i < 1_000; i++) {
      const zones = placeChunk(nodes, { replication: 3, chunkSize, random }).map((n) => n.zone);
      expect(new Set(zones).size).toBe(3);
    }
  });

  it('puts 2 replicas in one zone and 1 in the other with 2 zones and R=3', () => {
    const nodes = sixNodes(['a', 'a', 'a', 'b', 'b', 'b']);
    const random = seededRandom(12);
    const twoInA = { a: 0, b: 0 };
    for (let i = 0; i < 1_000; i++) {
      const zones = placeChunk(nodes, { replication: 3, chunkSize, random }).map((n) => n.zone);
      const inA = zones.filter((z) => z === 'a').length;
      expect([1, 2]).toContain(inA);
      twoInA[inA === 2 ? 'a' : 'b'] += 1;
    }
    // Neither zone is always the one with two.
    expect(twoInA.a).toBeGreaterThan(400);
    expect(twoInA.b).toBeGreaterThan(400);
  });

  it('uses a zone twice only when the other zones have no eligible node left', () => {
    const nodes = [node('a1', { zone: 'a' }), node('a2', { zone: 'a' }), node('b1', { zone: 'b', state: 'dead' }), node('b2', { zone: 'b', freeBytes: 0 }), node('c1', { zone: 'c' })];
    const random = seededRandom(5);
    for (let i = 0; i < 200; i++) {
      const ids = placeChunk(nodes, { replication: 3, chunkSize, random }).map((n) => n.nodeId);
      expect(ids.sort()).toEqual(['a1', 'a2', 'c1']);
    }
  });

  it('balances 10,000 placements on 6 equal nodes to 5,000 ± 10% replica slots each', () => {
    const nodes = sixNodes();
    const random = seededRandom(42);
    const placements = Array.from({ length: 10_000 }, () => placeChunk(nodes, { replication: 3, chunkSize, random }));
    const slots = replicaSlots(placements);
    for (const n of nodes) {
      expect(slots.get(n.nodeId)).toBeGreaterThan(4_500);
      expect(slots.get(n.nodeId)).toBeLessThan(5_500);
    }
    // Primaries are spread too, not always the same node.
    const primaries = replicaSlots(placements.map((p) => [p[0]!]));
    for (const n of nodes) expect(primaries.get(n.nodeId)).toBeGreaterThan(1_300);
  });

  it('gives a node with twice the free space clearly more chunks', () => {
    const nodes = sixNodes().map((n) => (n.nodeId === 'n1' ? { ...n, freeBytes: 2 * n.freeBytes, capacityBytes: 2 * n.capacityBytes } : n));
    const random = seededRandom(43);
    const slots = replicaSlots(Array.from({ length: 10_000 }, () => placeChunk(nodes, { replication: 3, chunkSize, random })));
    const others = (30_000 - slots.get('n1')!) / 5;
    expect(slots.get('n1')! / others).toBeGreaterThan(1.3);
  });

  it('steers chunks away from nodes busy with transfers', () => {
    const nodes = sixNodes().map((n) => (n.nodeId === 'n1' ? { ...n, activeTransfers: 9 } : n));
    const random = seededRandom(44);
    const slots = replicaSlots(Array.from({ length: 3_000 }, () => placeChunk(nodes, { replication: 1, chunkSize, random })));
    expect(slots.get('n1') ?? 0).toBeLessThan(3_000 / 6 / 3);
  });

  it('is FailedPrecondition naming needed, healthy and with-room counts when too few nodes qualify', () => {
    const nodes = [node('a'), node('b', { freeBytes: 1 }), node('c', { state: 'suspect' }), node('d', { state: 'dead' })];
    expectDfsError(() => placeChunk(nodes, { replication: 3, chunkSize }), Code.FailedPrecondition, /needs 3 healthy nodes.*of 4 nodes 2 are healthy and 1 of those have room/);
    expectDfsError(
      () => placeChunk(nodes, { replication: 2, chunkSize, exclude: new Set(['a']) }),
      Code.FailedPrecondition,
      /1 are healthy and not excluded \(1 excluded\) and 0 of those have room/,
    );
    expectDfsError(() => placeChunk([], { replication: 1, chunkSize }), Code.FailedPrecondition, /lower the replication/);
  });

  it('tryPlaceChunk answers "no room" with the counts instead of throwing, and places like placeChunk otherwise', () => {
    const nodes = [node('a'), node('b', { freeBytes: 1 }), node('c', { state: 'suspect' }), node('d', { state: 'dead' })];
    expect(tryPlaceChunk(nodes, { replication: 3, chunkSize })).toEqual({ ok: false, shortfall: { nodes: 4, healthy: 2, excluded: 0, withRoom: 1 } });
    expect(tryPlaceChunk(nodes, { replication: 2, chunkSize, exclude: new Set(['a']) })).toEqual({ ok: false, shortfall: { nodes: 4, healthy: 1, excluded: 1, withRoom: 0 } });
    const placed = tryPlaceChunk(sixNodes(), { replication: 3, chunkSize, random: seededRandom(7) });
    expect(placed).toEqual({ ok: true, nodes: placeChunk(sixNodes(), { replication: 3, chunkSize, random: seededRandom(7) }) });
    // A caller's bug is still an error.
    expectDfsError(() => tryPlaceChunk(sixNodes(), { replication: 0, chunkSize }), Code.InvalidArgument, /replication/);
  });

  it('is InvalidArgument for a bad replication or chunk size', () => {
    expectDfsError(() => placeChunk(sixNodes(), { replication: 0, chunkSize }), Code.InvalidArgument, /replication/);
    expectDfsError(() => placeChunk(sixNodes(), { replication: 2.5, chunkSize }), Code.InvalidArgument, /replication/);
    expectDfsError(() => placeChunk(sixNodes(), { replication: 3, chunkSize: -1 }), Code.InvalidArgument, /chunkSize/);
  });
});

describe('placeChunks', () => {
  it('spreads the chunks of one upload evenly over the nodes', () => {
    const nodes = sixNodes();
    const placements = placeChunks(nodes, 60, { replication: 3, chunkSize, random: seededRandom(9) });
    expect(placements).toHaveLength(60);
    for (const p of placements) expect(new Set(p.map((n) => n.nodeId)).size).toBe(3);
    const slots = replicaSlots(placements);
    for (const n of nodes) {
      // 30 expected; over 200 seeds the spread stays within 23..38.
      expect(slots.get(n.nodeId)).toBeGreaterThanOrEqual(20);
      expect(slots.get(n.nodeId)).toBeLessThanOrEqual(40);
    }
    // The caller's records come back untouched.
    expect(nodes.every((n) => n.freeBytes === 90 * GiB && n.activeTransfers === 0)).toBe(true);
    expect(nodes).toContain(placements[0]![0]);
  });

  it('stops using a node once its projected free space is gone', () => {
    const reserve = placementReserveBytes({ capacityBytes: 100 * GiB });
    const nodes = [...sixNodes().slice(0, 3), node('small', { freeBytes: reserve + 2 * chunkSize })];
    const placements = placeChunks(nodes, 40, { replication: 2, chunkSize, random: seededRandom(10) });
    expect(replicaSlots(placements).get('small') ?? 0).toBeLessThanOrEqual(2);
  });

  it('says how far it got when space runs out part way', () => {
    const reserve = placementReserveBytes({ capacityBytes: 100 * GiB });
    const nodes = ['a', 'b'].map((id) => node(id, { freeBytes: reserve + 3 * chunkSize }));
    expectDfsError(() => placeChunks(nodes, 5, { replication: 2, chunkSize }), Code.FailedPrecondition, /after placing 3 of 5 chunks: placing a chunk needs 2/);
    expect(placeChunks(nodes, 0, { replication: 2, chunkSize })).toEqual([]);
    expectDfsError(() => placeChunks(nodes, -1, { replication: 2, chunkSize }), Code.InvalidArgument, /number of chunks/);
  });
});
