import { create } from '@bufbuild/protobuf';
import type { Membership } from '@dfs/cluster';
import type { ChunkRef, GcEntry, MetadataStore } from '@dfs/metadata';
import { NodeCommandSchema, type NodeCommand } from '@dfs/proto';
import type { Logger } from 'pino';

export interface ChunkDeletionsOptions {
  /** GC entries taken per poll. Default 1,000. */
  batch?: number;
  /** Chunk ids per delete command. Default 10,000. */
  commandSize?: number;
  /**
   * A queue entry waits this long before its chunks are deleted, so a reader
   * that started on a version just overwritten or deleted can finish. Default 0.
   */
  deleteDelayMs?: number;
  now?: () => number;
  /** Nodes that hold a chunk; default the replicas recorded at commit (re-replication puts copies elsewhere). */
  locate?: (chunk: ChunkRef) => string[];
}

interface Tracked {
  entry: GcEntry;
  /** `${nodeId}\n${chunkId}` pairs not yet confirmed deleted. */
  outstanding: Set<string>;
  chunkIds: Set<string>;
}

/**
 * Turns the GC queue into delete commands for datanodes. A queue entry is
 * expanded into (node, chunk) pairs: the recorded replicas of a deleted or
 * overwritten file, or every known node for chunks of an aborted upload. The
 * pairs go out with heartbeats; a pair is done when the node reports the
 * chunk removed. An entry is acknowledged (and a file's chunk list purged)
 * only when all its pairs are done, so a node that was down meanwhile still
 * learns of the deletion: its next chunk report lists the chunk, which is
 * still known deleted here, and a command follows.
 */
export class ChunkDeletions {
  private readonly tracked = new Map<string, Tracked>();
  /** chunk id → gc ids that delete it (tombstones while their entries are open). */
  private readonly deleted = new Map<string, Set<string>>();
  private readonly pending = new Map<string, Set<string>>();
  /** Newest entry taken so far: later polls page past the ones still open. */
  private lastGcId: string | undefined;
  private polls = 0;

  constructor(
    private readonly store: MetadataStore,
    private readonly membership: Membership,
    private readonly logger: Logger,
    private readonly options: ChunkDeletionsOptions = {},
  ) {}

  /** Takes new GC entries from the store and queues their deletes. Call periodically. */
  async poll(): Promise<number> {
    // Entries stay queued until every replica confirmed, so page past the
    // ones already tracked (some may wait long, on nodes that are down).
    // Every so often start over: an entry can land behind the cursor (ids are
    // time-ordered across writers, not commit-ordered), and must not wait for
    // a coordinator restart to be seen.
    if (++this.polls % 60 === 0) this.lastGcId = undefined;
    const entries = await this.store.peekGc(this.options.batch ?? 1_000, this.lastGcId);
    let added = 0;
    const youngerThan = (this.options.now ?? Date.now)() - (this.options.deleteDelayMs ?? 0);
    for (const entry of entries) {
      // Oldest first: once one is too young, so are the rest (taken on a later poll).
      if (entry.enqueuedAt.getTime() > youngerThan) break;
      this.lastGcId = entry.gcId;
      if (this.tracked.has(entry.gcId)) continue;
      added++;
      const t: Tracked = { entry, outstanding: new Set(), chunkIds: new Set() };
      this.tracked.set(entry.gcId, t);
      if (entry.kind === 'file') {
        for await (const chunk of this.store.readChunks(entry.fileId)) this.track(t, chunk.chunkId, this.options.locate?.(chunk) ?? chunk.replicas);
      } else {
        // Chunks of an aborted or expired upload, or placements its file did
        // not use: none should be referenced. Checked anyway, because deleting
        // a chunk a file uses loses data for good: one still referenced (a
        // commit that raced the abort) is kept, and the bug is logged.
        const kept = await this.store.referencedChunks(entry.chunkIds);
        if (kept.size > 0) {
          this.logger.error({ gcId: entry.gcId, reason: entry.reason, kept: kept.size, chunkIds: [...kept].slice(0, 10) }, 'GC entry names chunks that are still referenced; they are kept');
        }
        const everyone = this.membership.nodes().map((n) => n.nodeId);
        for (const id of entry.chunkIds) if (!kept.has(id)) this.track(t, id, everyone);
      }
      await this.finishIfDone(t);
    }
    return added;
  }

  /** Delete commands for a node, taken off its queue (a lost command is re-sent after its next chunk report). */
  commandsFor(nodeId: string): NodeCommand[] {
    const ids = this.pending.get(nodeId);
    if (!ids || ids.size === 0) return [];
    const max = this.options.commandSize ?? 10_000;
    const take: string[] = [];
    for (const id of ids) {
      if (take.length >= max) break;
      take.push(id);
    }
    for (const id of take) ids.delete(id);
    return [create(NodeCommandSchema, { command: { case: 'deleteChunks', value: { chunkIds: take } } })];
  }

  /** The node no longer holds these chunks. */
  confirmRemoved(nodeId: string, chunkIds: readonly string[]): void {
    for (const chunkId of chunkIds) {
      for (const gcId of this.deleted.get(chunkId) ?? []) {
        const t = this.tracked.get(gcId);
        if (!t) continue;
        t.outstanding.delete(`${nodeId}\n${chunkId}`);
        void this.finishIfDone(t);
      }
    }
  }

  /**
   * A node gone for good no longer holds up the GC entries waiting for it: if
   * it ever comes back, its report shows those chunks unreferenced, and they
   * go as orphans after the grace period.
   */
  nodeDead(nodeId: string): void {
    for (const t of [...this.tracked.values()]) {
      for (const chunkId of t.chunkIds) t.outstanding.delete(`${nodeId}\n${chunkId}`);
      void this.finishIfDone(t);
    }
    this.pending.delete(nodeId);
  }

  isDeleted(chunkId: string): boolean {
    return this.deleted.has(chunkId);
  }

  /** A node reported a chunk that is known deleted: tell it again. */
  deleteOn(nodeId: string, chunkId: string): void {
    for (const gcId of this.deleted.get(chunkId) ?? []) this.tracked.get(gcId)?.outstanding.add(`${nodeId}\n${chunkId}`);
    this.queue(nodeId, chunkId);
  }

  private track(t: Tracked, chunkId: string, nodeIds: readonly string[]): void {
    let gcIds = this.deleted.get(chunkId);
    if (!gcIds) this.deleted.set(chunkId, (gcIds = new Set()));
    gcIds.add(t.entry.gcId);
    t.chunkIds.add(chunkId);
    for (const nodeId of nodeIds) {
      t.outstanding.add(`${nodeId}\n${chunkId}`);
      this.queue(nodeId, chunkId);
    }
  }

  private queue(nodeId: string, chunkId: string): void {
    let ids = this.pending.get(nodeId);
    if (!ids) this.pending.set(nodeId, (ids = new Set()));
    ids.add(chunkId);
  }

  private async finishIfDone(t: Tracked): Promise<void> {
    if (t.outstanding.size > 0 || !this.tracked.has(t.entry.gcId)) return;
    this.tracked.delete(t.entry.gcId);
    try {
      if (t.entry.kind === 'file') await this.store.purgeFile(t.entry.fileId);
      await this.store.ackGc([t.entry.gcId]);
    } catch (err) {
      // Left in the queue: the next coordinator start tracks it again.
      this.logger.warn({ err, gcId: t.entry.gcId }, 'could not acknowledge a finished GC entry');
      return;
    }
    for (const id of t.chunkIds) {
      const g = this.deleted.get(id);
      g?.delete(t.entry.gcId);
      if (g && g.size === 0) this.deleted.delete(id);
    }
    this.logger.debug({ gcId: t.entry.gcId, kind: t.entry.kind }, 'GC entry done');
  }
}
