import type { NodeStats } from '../node-stats.js';
import type { NodeRecord, NodeState } from '../membership-store.js';

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

/** A clock tests move by hand. */
export function fakeClock(start = Date.UTC(2026, 0, 1)): { now: () => number; advance: (ms: number) => void; set: (ms: number) => void } {
  let now = start;
  return { now: () => now, advance: (ms) => void (now += ms), set: (ms) => void (now = ms) };
}

/** Deterministic uniform [0, 1) (mulberry32), so failures reproduce. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function stats(overrides: Partial<NodeStats> = {}): NodeStats {
  return { capacityBytes: 100 * GiB, usedBytes: 10 * GiB, freeBytes: 90 * GiB, chunkCount: 10, activeTransfers: 0, ...overrides };
}

export function node(nodeId: string, overrides: Partial<NodeRecord> & { state?: NodeState } = {}): NodeRecord {
  return {
    nodeId,
    address: `${nodeId}.local:7001`,
    zone: '',
    state: 'healthy',
    ...stats(),
    registeredAt: new Date(0),
    lastHeartbeat: new Date(0),
    version: 1,
    ...overrides,
  };
}
