// Chunks a node holds that no file and no open upload references: left by a
// client that died before creating or committing its upload, or by a delete
// whose GC entry was finished while the node was away. They are deleted only
// after a grace period (seen unreferenced all along), only while the view is
// complete, and only if a fresh metadata read still finds no reference; a
// failed read decides nothing. A restart starts every grace period over.
import { create } from '@bufbuild/protobuf';
import type { MetadataStore } from '@dfs/metadata';
import { DfsError, NodeCommandSchema, type NodeCommand } from '@dfs/proto';
import type { Logger } from 'pino';
import { EventLoopPacer } from './event-loop-pacer.js';

/** Orphans per batched reference check. */
const SWEEP_BATCH = 1_000;

export interface OrphanChunksOptions {
  /** Default 1 h. */
  graceMs: number;
  now?: () => number;
}

export class OrphanChunks {
  /** `${nodeId}\n${chunkId}` → when first reported unreferenced. */
  private readonly seen = new Map<string, number>();
  private readonly now: () => number;

  constructor(
    private readonly store: MetadataStore,
    private readonly logger: Logger,
    private readonly options: OrphanChunksOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** A node's report found these chunks unreferenced. */
  reported(nodeId: string, chunkIds: readonly string[]): void {
    const now = this.now();
    for (const id of chunkIds) {
      const key = `${nodeId}\n${id}`;
      if (!this.seen.has(key)) this.seen.set(key, now);
    }
  }

  /** The node no longer holds it (deleted, or it was referenced after all). */
  gone(nodeId: string, chunkId: string): void {
    this.seen.delete(`${nodeId}\n${chunkId}`);
  }

  get size(): number {
    return this.seen.size;
  }

  /**
   * Delete commands, per node, for orphans past their grace. `canDelete`
   * says whether the view is complete and the node may be told (healthy).
   * The fresh reference checks go to the store a batch at a time.
   */
  async sweep(canDelete: (nodeId: string) => boolean): Promise<Map<string, NodeCommand>> {
    const now = this.now();
    const pacer = new EventLoopPacer();
    const candidates: { key: string; since: number; nodeId: string; chunkId: string }[] = [];
    for (const [key, since] of this.seen) {
      if (pacer.due()) await pacer.yield();
      if (now - since < this.options.graceMs) continue;
      const [nodeId, chunkId] = key.split('\n') as [string, string];
      if (canDelete(nodeId)) candidates.push({ key, since, nodeId, chunkId });
    }
    const due = new Map<string, string[]>();
    for (let i = 0; i < candidates.length; i += SWEEP_BATCH) {
      const batch = candidates.slice(i, i + SWEEP_BATCH);
      let referenced: Set<string>;
      try {
        referenced = await this.store.referencedChunks(batch.map((c) => c.chunkId));
      } catch (err) {
        this.logger.warn({ chunks: batch.length, err: DfsError.from(err).rawMessage }, 'could not check orphan chunks; keeping them');
        continue;
      }
      for (const c of batch) {
        // Gone meanwhile, or seen again after it went (a new grace period): not this sighting's to decide.
        if (this.seen.get(c.key) !== c.since) continue;
        this.seen.delete(c.key);
        if (referenced.has(c.chunkId)) continue;
        const list = due.get(c.nodeId);
        if (list) list.push(c.chunkId);
        else due.set(c.nodeId, [c.chunkId]);
      }
      if (pacer.due()) await pacer.yield();
    }
    const commands = new Map<string, NodeCommand>();
    for (const [nodeId, chunkIds] of due) {
      this.logger.info({ nodeId, chunks: chunkIds.length, graceMs: this.options.graceMs }, 'deleting orphan chunks past their grace period');
      commands.set(nodeId, create(NodeCommandSchema, { command: { case: 'deleteChunks', value: { chunkIds } } }));
    }
    return commands;
  }
}
