// The coordinator's self-healing, wired together: the replica map fed by
// reports, heartbeats and commits; the healer that re-replicates and trims;
// orphan collection; draining; and the periodic work that drives them.
import type { Membership, NodeTransition } from '@dfs/cluster';
import type { ChunkRef, FileRecord, MetadataStore } from '@dfs/metadata';
import { DfsError, type CopyOutcome, type NodeCommand } from '@dfs/proto';
import type { Logger } from 'pino';
import { ChunkHealer, type HealthCounts } from './chunk-healer.js';
import { OrphanChunks } from './orphan-chunks.js';
import { ReplicaMap } from './replica-map.js';

export interface HealingOptions {
  /** Unreferenced chunks on a node are deleted after this long. Default 1 h. */
  orphanGraceMs: number;
  /** Full scans of every chunk against its replication, besides the event-driven checks. Default 10 min. */
  scanIntervalMs: number;
  maxCopiesPerNode: number;
  copyTimeoutMs: number;
}

/** States whose nodes must have reported before the view counts as complete. */
const MUST_REPORT = new Set(['healthy', 'suspect', 'draining', 'drained']);

export class Healing {
  // A copy being trimmed is still on disk until the delete runs: a report must not count it again.
  readonly replicas = new ReplicaMap(10, (nodeId, chunkId) => this.healer.trims.has(nodeId, chunkId));
  readonly healer: ChunkHealer;
  private readonly orphans: OrphanChunks;
  private readonly orphanCommands = new Map<string, NodeCommand>();
  /**
   * Draining nodes whose chunks are being checked, or have been (`done`):
   * "nothing queued" means the drain is done only after that check.
   */
  private readonly drainChecked = new Map<string, { done: boolean }>();
  private lastScan = 0;
  /** Nodes that registered and whose first report since is not in yet. */
  private readonly rejoined = new Set<string>();
  /** When each node was last asked for a full report (at registration, or in a heartbeat answer). */
  private readonly reportAsked = new Map<string, number>();
  private scanning = false;
  /** Whether a full scan has started since this coordinator started. */
  private scanStarted = false;

  constructor(
    store: MetadataStore,
    private readonly membership: Membership,
    private readonly logger: Logger,
    private readonly options: HealingOptions,
  ) {
    this.healer = new ChunkHealer(store, membership, this.replicas, logger, {
      maxCopiesPerNode: options.maxCopiesPerNode,
      copyTimeoutMs: options.copyTimeoutMs,
      viewComplete: () => this.viewComplete(),
    });
    this.orphans = new OrphanChunks(store, logger, { graceMs: options.orphanGraceMs });
  }

  /** True once every node that may hold chunks has sent a full report since this coordinator started. */
  viewComplete(): boolean {
    return this.membership.nodes().every((n) => !MUST_REPORT.has(n.state) || this.replicas.hasReported(n.nodeId));
  }

  /** How many nodes still owe a report (for messages). */
  reportsMissing(): number {
    return this.membership.nodes().filter((n) => MUST_REPORT.has(n.state) && !this.replicas.hasReported(n.nodeId)).length;
  }

  registered(nodeId: string): void {
    this.replicas.expectReport(nodeId);
    this.healer.nodeGone(nodeId);
    this.reportAsked.set(nodeId, Date.now());
    this.rejoined.add(nodeId);
  }

  /**
   * Whether to ask a node for a full chunk report in its heartbeat answer: a
   * node this coordinator has no report from (it restarted, and the node did
   * not need to register again). Asked again only if a report does not follow
   * within a minute.
   */
  wantsReport(nodeId: string): boolean {
    if (this.replicas.hasReported(nodeId)) return false;
    const asked = this.reportAsked.get(nodeId);
    if (asked !== undefined && Date.now() - asked < 60_000) return false;
    this.reportAsked.set(nodeId, Date.now());
    return true;
  }

  /** One batch of a node's chunk report, with the ids the metadata does not reference. */
  async reported(nodeId: string, reportId: string, chunkIds: readonly string[], last: boolean, unknown: readonly string[]): Promise<void> {
    // Orphans are tracked from every report: they are deleted only after the grace period, on a fresh reference check (sweep).
    this.orphans.reported(nodeId, unknown);
    const { added, dropped, applied } = await this.replicas.reportBatch(nodeId, reportId, chunkIds, last);
    if (!last) return;
    // An apply stopped by a newer report or registration still changed the
    // map (its changes are checked below), but the node's real report is to
    // come: that one counts as the returning node's.
    const rejoined = applied && this.rejoined.delete(nodeId);
    // Before the first full scan has started (the reports after a coordinator
    // start), checking the chunks of each report is work thrown away: the scan
    // starts once every node has reported, and evaluates every chunk of every
    // visible file against the replica map as it is then, this report
    // included (a failed scan is retried from the start on the next tick).
    // Checking earlier would also judge copies by a partial view: the first
    // report makes every chunk look short of copies and queues them all.
    const scanCovers = !this.scanStarted;
    this.logger.info({ nodeId, added: added.length, dropped: dropped.length, viewComplete: this.viewComplete(), checkedByScan: scanCovers, superseded: !applied }, 'chunk report applied');
    if (scanCovers) return;
    // Lost copies may leave chunks short; new ones may be surplus.
    await this.healer.check([...added, ...dropped]);
    if (rejoined) {
      // A node that registered again (restarted, or back from the dead) counts
      // again for every chunk it holds, which its copies may now make surplus.
      // In the background: a big node's check must not hold up its report.
      this.recheckNode(nodeId, 'a returning');
    }
  }

  async heartbeat(nodeId: string, removed: readonly string[], corrupt: readonly string[], outcomes: readonly CopyOutcome[]): Promise<void> {
    for (const id of removed) {
      this.replicas.remove(nodeId, id);
      this.healer.trims.confirm(nodeId, id);
      this.orphans.gone(nodeId, id);
    }
    if (corrupt.length > 0) await this.healer.corruptFound(nodeId, corrupt);
    if (outcomes.length > 0) await this.healer.copiesDone(nodeId, outcomes);
  }

  /**
   * A commit: its acknowledged copies are known, and every chunk is evaluated.
   * Not only those with fewer copies than wanted: a copy may sit on a node that
   * died or started draining during the upload, and the check that ran then
   * skipped the chunk (it belonged to no file yet), so nothing else would queue
   * it before the next full scan, and a draining node could be called drained
   * while it holds the only copy. Evaluating is in memory and cheap.
   */
  committed(file: FileRecord, chunks: readonly ChunkRef[]): void {
    for (const chunk of chunks) {
      for (const nodeId of chunk.replicas) this.replicas.add(nodeId, chunk.chunkId);
      this.healer.evaluate(chunk.chunkId, file);
    }
  }

  /**
   * Node state changes from membership ticks and operators. The chunks of a
   * node that died or is draining are checked in the background: that takes
   * minutes for a million chunks on etcd, and the membership tick that calls
   * this must not wait (it would miss the next node's death meanwhile).
   * Lookups that fail are retried by the healer (see ChunkHealer.recheck).
   */
  transitions(transitions: readonly NodeTransition[]): void {
    for (const t of transitions) {
      if (t.to === 'dead') this.healer.nodeGone(t.nodeId);
      if (t.to !== 'dead' && t.to !== 'draining') continue;
      const check = { done: false };
      if (t.to === 'draining') this.drainChecked.set(t.nodeId, check);
      this.healer
        .nodeLost(t.nodeId)
        .then(() => (check.done = true))
        .catch((err: unknown) => {
          this.logger.warn({ nodeId: t.nodeId, to: t.to, err: DfsError.from(err).rawMessage }, 'checking a lost node\'s chunks failed');
          // A draining node's check is started again by the next tick.
          if (this.drainChecked.get(t.nodeId) === check) this.drainChecked.delete(t.nodeId);
        });
    }
  }

  /** Starts draining a node (DrainNode). */
  async drain(nodeId: string): Promise<void> {
    const t = await this.membership.setAdminState(nodeId, 'draining');
    if (t) {
      this.logger.info({ nodeId }, 'draining node: copying its chunks elsewhere');
      this.transitions([t]);
    } else if (!this.drainChecked.has(nodeId) && this.membership.node(nodeId)?.state === 'draining') {
      // Draining since before a restart: evaluate its chunks once here.
      this.transitions([{ nodeId, from: 'draining', to: 'draining', at: new Date(), silentMs: 0 }]);
    }
  }

  /**
   * Calls off a drain (or clears the decision of a dead node that was
   * draining). The node's copies count again: the copies made elsewhere
   * meanwhile are surplus, and trimmed (in the background, as for a node
   * that registers again). A no-op for a node that is not draining.
   */
  async undrain(nodeId: string): Promise<void> {
    const state = this.membership.node(nodeId)?.state;
    if (state !== undefined && state !== 'draining' && state !== 'drained' && state !== 'dead') return;
    const t = await this.membership.setAdminState(nodeId, 'healthy');
    if (!t) return;
    this.drainChecked.delete(nodeId);
    this.logger.info({ nodeId }, 'drain called off: the node takes new chunks again');
    this.recheckNode(nodeId, 'an undrained');
  }

  /**
   * Evaluates every chunk a node holds, in the background (a big node's
   * check must not hold up its caller): a node whose copies count again may
   * make chunks surplus.
   */
  private recheckNode(nodeId: string, which: string): void {
    void this.healer.nodeLost(nodeId).catch((err: unknown) => this.logger.warn({ nodeId, err: DfsError.from(err).rawMessage }, `checking ${which} node's chunks failed`));
  }

  /**
   * Where a chunk can be read: the copies reported, then those recorded at
   * commit on nodes that have not reported since this coordinator started (a
   * node that has reported is known exactly: it lost or quarantined the rest).
   */
  locate(chunk: ChunkRef): string[] {
    const held = this.replicas.holdersOf(chunk.chunkId);
    return [...held, ...chunk.replicas.filter((n) => !held.includes(n) && !this.replicas.hasReported(n))];
  }

  commandsFor(nodeId: string): NodeCommand[] {
    const orphan = this.orphanCommands.get(nodeId);
    this.orphanCommands.delete(nodeId);
    return [...this.healer.commandsFor(nodeId), ...(orphan ? [orphan] : [])];
  }

  counts(): HealthCounts {
    return this.healer.counts();
  }

  /** Periodic work: copies, finished drains, full scans, orphans. */
  async tick(): Promise<void> {
    await this.healer.schedule();
    // Chunks whose lookup failed (they keep the nodes holding them from being called drained).
    void this.healer.recheck().catch((err: unknown) => this.logger.warn({ err: DfsError.from(err).rawMessage }, 'checking chunks again failed'));
    const complete = this.viewComplete();
    for (const { nodeId } of this.membership.nodes()) {
      // Read again at every step: the loop awaits, and a drain may be called off meanwhile (undrain).
      if (this.membership.node(nodeId)?.state !== 'draining') continue;
      if (!this.drainChecked.has(nodeId)) {
        void this.drain(nodeId).catch((err: unknown) => this.logger.warn({ err: DfsError.from(err).rawMessage }, 'drain check failed'));
        continue;
      }
      // Still checking its chunks (in the background): what is queued says nothing yet.
      if (!this.drainChecked.get(nodeId)?.done) continue;
      // After a restart the reports are not checked chunk by chunk (see reported): until the
      // first full scan is done, an empty queue says nothing about what the node still holds.
      const done = complete && this.lastScan > 0 && !(await this.healer.isNeededSource(nodeId)) && this.viewComplete();
      if (done && this.membership.node(nodeId)?.state === 'draining') {
        await this.membership.setAdminState(nodeId, 'drained');
        this.drainChecked.delete(nodeId);
        this.logger.info({ nodeId: nodeId }, 'node drained: every chunk it holds has its copies elsewhere');
      }
    }
    if (complete && !this.scanning && Date.now() - this.lastScan >= this.options.scanIntervalMs) {
      this.scanning = true;
      this.scanStarted = true;
      void this.healer
        .scanAll()
        .then((r) => {
          this.lastScan = Date.now();
          this.logger.info(r, 'replication scan done');
        })
        .catch((err: unknown) => this.logger.warn({ err: DfsError.from(err).rawMessage }, 'replication scan failed; retrying later'))
        .finally(() => (this.scanning = false));
    }
    if (complete) {
      const healthy = (id: string) => this.membership.node(id)?.state === 'healthy';
      for (const [nodeId, command] of await this.orphans.sweep(healthy)) this.orphanCommands.set(nodeId, command);
    }
  }
}
