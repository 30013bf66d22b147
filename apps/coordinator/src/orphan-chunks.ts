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
   */
  async sweep(canDelete: (nodeId: string) => boolean): Promise<Map<string, NodeCommand>> {
    const due = new Map<string, string[]>();
    const now = this.now();
    for (const [key, since] of this.seen) {
      if (now - since < this.options.graceMs) continue;
      const [nodeId, chunkId] = key.split('\n') as [string, string];
      if (!canDelete(nodeId)) continue;
      let referenced: boolean;
      try {
        referenced = await this.store.isChunkReferenced(chunkId);
      } catch (err) {
        this.logger.warn({ chunkId, err: DfsError.from(err).rawMessage }, 'could not check an orphan chunk; keeping it');
        continue;
      }
      this.seen.delete(key);
      if (referenced) continue;
      const list = due.get(nodeId);
      if (list) list.push(chunkId);
      else due.set(nodeId, [chunkId]);
    }
    const commands = new Map<string, NodeCommand>();
    for (const [nodeId, chunkIds] of due) {
      this.logger.info({ nodeId, chunks: chunkIds.length, graceMs: this.options.graceMs }, 'deleting orphan chunks past their grace period');
      commands.set(nodeId, create(NodeCommandSchema, { command: { case: 'deleteChunks', value: { chunkIds } } }));
    }
    return commands;
  }
}
