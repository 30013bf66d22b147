import type { NodeCommand } from '@dfs/proto';

/** Commands waiting for their node's next heartbeat answer, per node, in order. */
export class NodeCommands {
  private readonly byNode = new Map<string, NodeCommand[]>();

  send(nodeId: string, command: NodeCommand): void {
    const list = this.byNode.get(nodeId);
    if (list) list.push(command);
    else this.byNode.set(nodeId, [command]);
  }

  /** Hands out (and forgets) a node's commands. */
  take(nodeId: string): NodeCommand[] {
    const list = this.byNode.get(nodeId) ?? [];
    this.byNode.delete(nodeId);
    return list;
  }

  /** Drops a node's deletes not yet handed out that name only these chunks. */
  dropDeletes(nodeId: string, chunkIds: ReadonlySet<string>): void {
    const queued = this.byNode.get(nodeId);
    if (chunkIds.size === 0 || !queued) return;
    const kept = queued.filter((c) => !(c.command.case === 'deleteChunks' && c.command.value.chunkIds.every((id) => chunkIds.has(id))));
    if (kept.length > 0) this.byNode.set(nodeId, kept);
    else this.byNode.delete(nodeId);
  }
}
