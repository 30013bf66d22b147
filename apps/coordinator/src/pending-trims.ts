// Surplus copies the healer has decided to delete, from the moment it takes
// them out of the replica map until the node confirms the removal (or dies,
// or registers again, or the trim expires). Meanwhile a copy is still on the
// node's disk: a chunk report sent before the delete ran lists it, and
// counting it again would make the chunk look surplus once more and trim a
// second copy elsewhere (both deletes run: one copy short). So such a copy
// is neither re-added from reports nor chosen as a copy target, and its
// chunk gets no second trim until this one ends.

interface Trim {
  nodeId: string;
  chunkId: string;
  at: number;
}

export class PendingTrims {
  private readonly byChunk = new Map<string, Set<string>>();
  private readonly byNode = new Map<string, Set<string>>();
  /** Every trim by `node/chunk`, oldest first (Maps keep insertion order): expire() stops at the first young one. */
  private readonly byAge = new Map<string, Trim>();

  add(nodeId: string, chunkId: string, at: number): void {
    add(this.byChunk, chunkId, nodeId);
    add(this.byNode, nodeId, chunkId);
    const key = keyOf(nodeId, chunkId);
    this.byAge.delete(key);
    this.byAge.set(key, { nodeId, chunkId, at });
  }

  has(nodeId: string, chunkId: string): boolean {
    return this.byNode.get(nodeId)?.has(chunkId) ?? false;
  }

  /** Whether a copy of this chunk is being trimmed. */
  hasChunk(chunkId: string): boolean {
    return this.byChunk.has(chunkId);
  }

  /** Nodes a copy of this chunk is being trimmed from. */
  nodesOf(chunkId: string): ReadonlySet<string> {
    return this.byChunk.get(chunkId) ?? new Set();
  }

  /** The node confirmed the removal: the copy is gone for sure. */
  confirm(nodeId: string, chunkId: string): void {
    remove(this.byChunk, chunkId, nodeId);
    remove(this.byNode, nodeId, chunkId);
    this.byAge.delete(keyOf(nodeId, chunkId));
  }

  /** Forgets a node's trims (it died or registered again); returns their chunks. */
  dropNode(nodeId: string): string[] {
    const chunkIds = [...(this.byNode.get(nodeId) ?? [])];
    for (const chunkId of chunkIds) this.confirm(nodeId, chunkId);
    return chunkIds;
  }

  /**
   * Ends the trims begun before `before` and returns them. A trim the node
   * never confirms (its delete failed: EIO on the unlink) would otherwise
   * keep the copy uncounted, its chunk untrimmable, for as long as the node
   * lives; expired, the copy counts again once a report lists it, and is
   * trimmed again.
   */
  expire(before: number): Trim[] {
    const expired: Trim[] = [];
    for (const trim of this.byAge.values()) {
      if (trim.at >= before) break;
      expired.push(trim);
    }
    for (const { nodeId, chunkId } of expired) this.confirm(nodeId, chunkId);
    return expired;
  }
}

function keyOf(nodeId: string, chunkId: string): string {
  return `${nodeId}/${chunkId}`;
}

function add(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}

function remove(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}
