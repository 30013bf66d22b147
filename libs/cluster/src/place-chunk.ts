import { Code, DfsError } from '@dfs/proto';
import type { NodeRecord } from './membership-store.js';

export interface PlacementOptions {
  /** Replicas per chunk (R): a whole number, 1 or more. */
  replication: number;
  /** Bytes the chunk takes on each replica. */
  chunkSize: number;
  /** Node ids never to choose: nodes that already hold the chunk, or that just failed a write. */
  exclude?: ReadonlySet<string>;
  /** Uniform in [0, 1). Default `Math.random`; tests pass a seeded one. */
  random?: () => number;
}

const GiB = 1024 ** 3;

/**
 * Bytes a node keeps free no matter what: 1% of its capacity, at most 1 GiB.
 * A disk filled to the last byte fails the temp-file writes, fsyncs and
 * renames of chunks already in flight, and the datanode's own logs.
 */
export function placementReserveBytes(node: Pick<NodeRecord, 'capacityBytes'>): number {
  return Math.min(Math.ceil(node.capacityBytes * 0.01), GiB);
}

/** Why a chunk could not be placed: the node counts its error message gives. */
export interface PlacementShortfall {
  nodes: number;
  /** Healthy and not excluded. */
  healthy: number;
  /** Healthy but excluded. */
  excluded: number;
  /** Healthy, not excluded, with room for the chunk. */
  withRoom: number;
}

export type PlacementResult = { ok: true; nodes: NodeRecord[] } | { ok: false; shortfall: PlacementShortfall };

/**
 * Chooses the nodes for one new chunk, primary first: `replication` distinct
 * healthy nodes with room, spread over as many zones as there are (no zone
 * gets a second replica before every zone with room has one), otherwise drawn
 * at random weighted by free space and against load. Unlabelled nodes (zone
 * '') count as one zone of their own, so a cluster without labels is simply
 * one zone. Not enough such nodes is FailedPrecondition.
 */
export function placeChunk(nodes: readonly NodeRecord[], options: PlacementOptions): NodeRecord[] {
  const placed = tryPlaceChunk(nodes, options);
  if (!placed.ok) throw notEnoughNodesError(options, placed.shortfall);
  return placed.nodes;
}

/**
 * placeChunk that answers "no room" with a result instead of an error: the
 * healer tries a target for every chunk it wants copied, and in a cluster
 * with no spare node most tries fail, every second; building and throwing a
 * DfsError (with its stack) for each cost more than the placement itself.
 * Bad options still throw: that is a caller's bug, not a full cluster.
 */
export function tryPlaceChunk(nodes: readonly NodeRecord[], options: PlacementOptions): PlacementResult {
  const { replication, chunkSize, exclude, random } = checkPlacementOptions(options);
  const candidates: Candidate[] = [];
  let live = 0;
  for (const node of nodes) {
    if (node.state !== 'healthy' || exclude.has(node.nodeId)) continue;
    live += 1;
    const room = node.freeBytes - placementReserveBytes(node);
    if (room < chunkSize) continue;
    // Free space draws chunks to a node, transfers in flight push them away:
    // a node busy with ten writes gets a tenth of the share of an idle one.
    candidates.push({ node, zone: node.zone, weight: Math.max(room, 1) / (1 + node.activeTransfers) });
  }
  if (candidates.length < replication) {
    const excluded = exclude.size === 0 ? 0 : nodes.filter((n) => n.state === 'healthy' && exclude.has(n.nodeId)).length;
    return { ok: false, shortfall: { nodes: nodes.length, healthy: live, excluded, withRoom: candidates.length } };
  }
  return { ok: true, nodes: pickReplicas(candidates, replication, random).map((c) => c.node) };
}

function notEnoughNodesError({ replication, chunkSize }: PlacementOptions, s: PlacementShortfall, context = ''): DfsError {
  return new DfsError(
    Code.FailedPrecondition,
    `${context}placing a chunk needs ${replication} healthy nodes with room for ${chunkSize} bytes, but of ${s.nodes} nodes ` +
      `${s.healthy} are healthy${s.excluded > 0 ? ` and not excluded (${s.excluded} excluded)` : ''} and ${s.withRoom} of those have room: ` +
      'start more datanodes, free disk space, or lower the replication',
    { reason: 'NOT_ENOUGH_REPLICAS' },
  );
}

/**
 * Places `count` chunks of one upload, balanced across nodes: after each
 * chunk the chosen nodes are charged its size and one more transfer in a
 * local projection, so a node that looks best at the start does not get
 * every chunk of a large file. Returns one node list per chunk, primary first.
 */
export function placeChunks(nodes: readonly NodeRecord[], count: number, options: PlacementOptions): NodeRecord[][] {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new DfsError(Code.InvalidArgument, `the number of chunks to place must be a whole number >= 0, got ${count}`);
  }
  checkPlacementOptions(options);
  const originals = new Map(nodes.map((n) => [n.nodeId, n]));
  const projected = nodes.map((n) => ({ ...n }));
  const byId = new Map(projected.map((n) => [n.nodeId, n]));
  const placements: NodeRecord[][] = [];
  for (let i = 0; i < count; i++) {
    const placed = tryPlaceChunk(projected, options);
    if (!placed.ok) throw notEnoughNodesError(options, placed.shortfall, i === 0 ? '' : `after placing ${i} of ${count} chunks: `);
    const chosen = placed.nodes;
    for (const node of chosen) {
      const p = byId.get(node.nodeId)!;
      p.freeBytes -= options.chunkSize;
      p.activeTransfers += 1;
    }
    placements.push(chosen.map((n) => originals.get(n.nodeId)!));
  }
  return placements;
}

interface Candidate {
  node: NodeRecord;
  zone: string;
  weight: number;
}

function pickReplicas(candidates: Candidate[], replication: number, random: () => number): Candidate[] {
  const chosen: Candidate[] = [];
  const perZone = new Map<string, number>();
  let remaining = candidates;
  while (chosen.length < replication) {
    // Only zones holding the fewest replicas so far may take the next one:
    // that fills distinct zones first and then caps each at ceil(R / zones).
    let fewest = Infinity;
    for (const c of remaining) fewest = Math.min(fewest, perZone.get(c.zone) ?? 0);
    const pool = remaining.filter((c) => (perZone.get(c.zone) ?? 0) === fewest);
    const pick = weightedPick(pool, random);
    chosen.push(pick);
    perZone.set(pick.zone, (perZone.get(pick.zone) ?? 0) + 1);
    remaining = remaining.filter((c) => c !== pick);
  }
  return chosen;
}

function weightedPick(pool: Candidate[], random: () => number): Candidate {
  let total = 0;
  for (const c of pool) total += c.weight;
  let r = random() * total;
  for (const c of pool) {
    r -= c.weight;
    if (r < 0) return c;
  }
  // Only reached through floating-point rounding (or a random() of exactly 1).
  return pool[pool.length - 1]!;
}

function checkPlacementOptions(options: PlacementOptions): Required<PlacementOptions> {
  const { replication, chunkSize } = options;
  if (!Number.isSafeInteger(replication) || replication < 1) {
    throw new DfsError(Code.InvalidArgument, `replication must be a whole number >= 1, got ${replication}`);
  }
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 0) {
    throw new DfsError(Code.InvalidArgument, `chunkSize must be a whole number of bytes >= 0, got ${chunkSize}`);
  }
  return { replication, chunkSize, exclude: options.exclude ?? new Set(), random: options.random ?? Math.random };
}
