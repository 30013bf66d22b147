// Keeps every chunk of every visible file at its replication: chunks that
// lost copies (a node died or is draining, a copy was corrupt, a commit had
// fewer copies than wanted) are queued, most urgent first (one copy left
// before two), and copied by CopyChunk commands sent to a node holding a good
// copy, which pushes it to a target chosen like a placement. Copies per node
// are limited so recovery does not starve clients. Surplus copies (a dead
// node came back) are trimmed once the view is complete, from zones holding
// two first (see trimVictims), and not counted again until the delete is
// confirmed (see PendingTrims). Which nodes hold what comes from the
// ReplicaMap; what a chunk needs, from the metadata.
import { create } from '@bufbuild/protobuf';
import { tryPlaceChunk, type Membership } from '@dfs/cluster';
import type { FileRecord, MetadataStore, NodeRecord } from '@dfs/metadata';
import { DfsError, NodeCommandSchema, type CopyOutcome, type NodeCommand } from '@dfs/proto';
import type { Logger } from 'pino';
import { EventLoopPacer } from './event-loop-pacer.js';
import { NodeCommands } from './node-commands.js';
import { PendingTrims } from './pending-trims.js';
import type { ReplicaMap } from './replica-map.js';
import { trimVictims } from './trim-victims.js';

export interface ChunkHealerOptions {
  /** Copies a node runs at once, as source and as target each. Default 2. */
  maxCopiesPerNode?: number;
  /** A copy without an outcome after this long is written off and retried elsewhere. Default 2 min. */
  copyTimeoutMs?: number;
  /** A trim the node has not confirmed after this long ends, its unsent delete dropped (see PendingTrims.expire). Default 10 min. */
  trimTimeoutMs?: number;
  /** Whether every live node has reported its chunks: surplus copies are trimmed only then. */
  viewComplete?: () => boolean;
  now?: () => number;
}

interface Want {
  chunkId: string;
  replication: number;
  chunkSize: number;
  /** Good copies on nodes that count (healthy or suspect). */
  live: number;
  queuedAt: number;
  /** Targets that failed for this chunk: not chosen again. */
  failedTargets: Set<string>;
  notBefore: number;
}

interface Copy {
  source: string;
  target: string;
  startedAt: number;
}

export interface HealthCounts {
  underReplicated: number;
  oneCopy: number;
  missing: number;
  corrupt: number;
  queued: number;
  inFlight: number;
  /** Chunks whose files could not be looked up: health unknown, checked again (see recheck). */
  unchecked: number;
}

const COUNTS_TOWARD_R = new Set(['healthy', 'suspect']);
/** Chunk ids per batched metadata lookup in check(). */
const CHECK_BATCH = 1_000;
const CAN_SOURCE = ['healthy', 'draining', 'drained', 'suspect'];

export class ChunkHealer {
  private readonly wants = new Map<string, Want>();
  private readonly inFlight = new Map<string, Copy>();
  private readonly missing = new Set<string>();
  /** Chunks with a copy reported corrupt, until they are whole again. */
  private readonly corrupt = new Set<string>();
  /**
   * Chunks whose files could not be looked up (an etcd timeout): undecided,
   * not unwanted. Checked again by recheck(); a node holding one is still a
   * needed source, so a drain is not called done over a failed lookup.
   */
  private readonly unchecked = new Set<string>();
  private rechecking = false;
  private readonly commands = new NodeCommands();
  /** Copies being trimmed: reports must not add them back; confirmed removals end them. */
  readonly trims = new PendingTrims();
  private readonly now: () => number;

  constructor(
    private readonly store: MetadataStore,
    private readonly membership: Membership,
    private readonly replicas: ReplicaMap,
    private readonly logger: Logger,
    private readonly options: ChunkHealerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Re-evaluates chunks against what their files want. A chunk that belongs
   * to no visible file is dropped (deleting it is the GC's job). The files
   * are looked up a batch of ids at a time, and the loop steps aside for
   * I/O between batches (a node's report can hold a million ids).
   */
  async check(chunkIds: Iterable<string>): Promise<void> {
    const pacer = new EventLoopPacer();
    let batch: string[] = [];
    for (const chunkId of chunkIds) {
      batch.push(chunkId);
      if (batch.length < CHECK_BATCH) continue;
      await this.checkBatch(batch, pacer);
      batch = [];
    }
    if (batch.length > 0) await this.checkBatch(batch, pacer);
  }

  private async checkBatch(chunkIds: string[], pacer: EventLoopPacer): Promise<void> {
    let files: Map<string, FileRecord>;
    try {
      files = await this.store.liveFilesOfChunks(chunkIds);
    } catch (err) {
      // Unknown is not "unwanted": leave whatever was decided before.
      this.logger.warn({ chunks: chunkIds.length, first: chunkIds[0], err: DfsError.from(err).rawMessage }, 'could not look up chunks; will check them again');
      for (const chunkId of chunkIds) this.unchecked.add(chunkId);
      return;
    }
    for (const chunkId of chunkIds) this.evaluate(chunkId, files.get(chunkId));
    if (pacer.due()) await pacer.yield();
  }

  /** Checks again the chunks whose lookup failed (call periodically; a call while one runs does nothing). */
  async recheck(): Promise<void> {
    if (this.unchecked.size === 0 || this.rechecking) return;
    this.rechecking = true;
    try {
      await this.check([...this.unchecked]);
    } finally {
      this.rechecking = false;
    }
  }

  /** Evaluates a chunk whose file is already known (a full scan, a commit). */
  evaluate(chunkId: string, file: FileRecord | undefined): void {
    this.unchecked.delete(chunkId);
    if (!file) {
      this.forget(chunkId);
      return;
    }
    const holders = this.nodesHolding(chunkId);
    const live = holders.filter((n) => COUNTS_TOWARD_R.has(n.state)).length;
    const sources = holders.filter((n) => CAN_SOURCE.includes(n.state)).length;
    if (live >= file.replication) {
      this.forget(chunkId);
      if (live > file.replication) this.trim(chunkId, holders, file.replication);
      return;
    }
    if (sources === 0) {
      this.wants.delete(chunkId);
      this.missing.add(chunkId);
      return;
    }
    this.missing.delete(chunkId);
    const want = this.wants.get(chunkId);
    if (want) want.live = live;
    else this.wants.set(chunkId, { chunkId, replication: file.replication, chunkSize: file.chunkSize, live, queuedAt: this.now(), failedTargets: new Set(), notBefore: 0 });
  }

  /** Evaluates every chunk on a node: one that died or is draining leaves them short, one that counts again may leave them surplus. */
  nodeLost(nodeId: string): Promise<void> {
    return this.check(this.replicas.chunksOn(nodeId));
  }

  /**
   * A node died or registered again: its trims end and their unsent deletes
   * are dropped (run after its report re-added the copies, one would meet a
   * chunk trimmed again elsewhere: both copies gone). The report has the
   * chunks evaluated again instead.
   */
  nodeGone(nodeId: string): void {
    this.commands.dropDeletes(nodeId, new Set(this.trims.dropNode(nodeId)));
  }

  /** Trims never confirmed end (PendingTrims.expire); their unsent deletes go, as in nodeGone. */
  private expireTrims(now: number): void {
    const byNode = new Map<string, Set<string>>();
    for (const { nodeId, chunkId } of this.trims.expire(now - (this.options.trimTimeoutMs ?? 600_000))) {
      this.logger.warn({ nodeId, chunkId }, 'a trimmed copy was not confirmed removed in time; counted again if the node still reports it');
      let ids = byNode.get(nodeId);
      if (!ids) byNode.set(nodeId, (ids = new Set()));
      ids.add(chunkId);
    }
    for (const [nodeId, ids] of byNode) this.commands.dropDeletes(nodeId, ids);
  }

  /** A node found corrupt copies (and quarantined them): they are gone from it. */
  async corruptFound(nodeId: string, chunkIds: readonly string[]): Promise<void> {
    for (const id of chunkIds) {
      this.replicas.remove(nodeId, id);
      this.corrupt.add(id);
    }
    if (chunkIds.length > 0) this.logger.warn({ nodeId, chunks: chunkIds.length }, 'corrupt copies reported; re-replicating from good ones');
    await this.check(chunkIds);
  }

  /** Outcomes of copy commands, from the source's heartbeat. */
  async copiesDone(sourceId: string, outcomes: readonly CopyOutcome[]): Promise<void> {
    for (const o of outcomes) {
      const copy = this.inFlight.get(o.chunkId);
      if (copy && copy.target === o.targetNodeId) this.inFlight.delete(o.chunkId);
      if (o.ok) {
        this.replicas.add(o.targetNodeId, o.chunkId);
      } else {
        this.logger.warn({ chunkId: o.chunkId, source: sourceId, target: o.targetNodeId, error: o.error }, 'copy failed; retrying on another target');
        this.backOff(o.chunkId, o.targetNodeId);
      }
    }
    await this.check(outcomes.map((o) => o.chunkId));
  }

  /**
   * Hands out copy commands within the per-node limits, most urgent chunks
   * first. Call periodically. A dead node can queue a million chunks, so
   * this neither sorts the queue nor holds the thread: it stops once no node
   * can take another copy, and steps aside for I/O as it goes.
   */
  async schedule(): Promise<void> {
    const now = this.now();
    this.expireTrims(now);
    const max = this.options.maxCopiesPerNode ?? 2;
    for (const [chunkId, copy] of this.inFlight) {
      if (now - copy.startedAt < (this.options.copyTimeoutMs ?? 120_000)) continue;
      this.inFlight.delete(chunkId);
      this.logger.warn({ chunkId, ...copy }, 'copy timed out; retrying on another target');
      this.backOff(chunkId, copy.target);
    }
    const asSource = new Map<string, number>();
    const asTarget = new Map<string, number>();
    for (const c of this.inFlight.values()) {
      asSource.set(c.source, (asSource.get(c.source) ?? 0) + 1);
      asTarget.set(c.target, (asTarget.get(c.target) ?? 0) + 1);
    }
    const live = this.membership.live();
    const canSource = this.membership.nodes().filter((n) => CAN_SOURCE.includes(n.state));
    const slotsLeft = () => live.some((n) => (asTarget.get(n.nodeId) ?? 0) < max) && canSource.some((n) => (asSource.get(n.nodeId) ?? 0) < max);
    if (!slotsLeft()) return;
    // Most urgent first: fewest live copies, then queued longest. `wants` iterates in the
    // order chunks were queued, so one bucket per copy count gives that order unsorted.
    const byLive: Want[][] = [];
    for (const w of this.wants.values()) {
      if (!this.inFlight.has(w.chunkId) && w.notBefore <= now) (byLive[w.live] ??= []).push(w);
    }
    const pacer = new EventLoopPacer();
    for (const bucket of byLive) {
      for (const want of bucket ?? []) {
        if (pacer.due()) await pacer.yield();
        // Copies finish and chunks are re-checked in the yields: skip what no longer waits.
        if (this.wants.get(want.chunkId) !== want || this.inFlight.has(want.chunkId)) continue;
        const holders = this.nodesHolding(want.chunkId);
        // Healthy sources first; a draining node's copy is as good; a suspect one may be gone.
        const source = holders
          .filter((n) => CAN_SOURCE.includes(n.state) && (asSource.get(n.nodeId) ?? 0) < max)
          .sort((a, b) => CAN_SOURCE.indexOf(a.state) - CAN_SOURCE.indexOf(b.state) || (asSource.get(a.nodeId) ?? 0) - (asSource.get(b.nodeId) ?? 0))[0];
        if (!source) continue;
        const target = this.chooseTarget(want, holders, live, (id) => (asTarget.get(id) ?? 0) >= max);
        if (!target) continue;
        asSource.set(source.nodeId, (asSource.get(source.nodeId) ?? 0) + 1);
        asTarget.set(target.nodeId, (asTarget.get(target.nodeId) ?? 0) + 1);
        this.inFlight.set(want.chunkId, { source: source.nodeId, target: target.nodeId, startedAt: this.now() });
        this.commands.send(source.nodeId, create(NodeCommandSchema, { command: { case: 'copyChunk', value: { chunkId: want.chunkId, target: { nodeId: target.nodeId, address: target.address } } } }));
        if (!slotsLeft()) return;
      }
    }
  }

  /** Commands for a node's heartbeat, taken off its queue. */
  commandsFor(nodeId: string): NodeCommand[] {
    return this.commands.take(nodeId);
  }

  counts(): HealthCounts {
    let oneCopy = 0;
    for (const w of this.wants.values()) if (w.live <= 1) oneCopy++;
    let corrupt = 0;
    for (const id of this.corrupt) if (this.wants.has(id) || this.missing.has(id)) corrupt++;
    let queued = 0;
    // A copy can still be in flight for a chunk no longer wanted (healed another way): not queued.
    for (const id of this.wants.keys()) if (!this.inFlight.has(id)) queued++;
    return { underReplicated: this.wants.size, oneCopy, missing: this.missing.size, corrupt, queued, inFlight: this.inFlight.size, unchecked: this.unchecked.size };
  }

  /** Whether a chunk still waits for copies (or has none left to copy from). */
  isUnhealthy(chunkId: string): 'under-replicated' | 'missing' | undefined {
    return this.missing.has(chunkId) ? 'missing' : this.wants.has(chunkId) ? 'under-replicated' : undefined;
  }

  /**
   * A chunk's health from the copies reported (fsck): healthy at its
   * replication, under-replicated with fewer (draining copies are readable
   * but do not count), corrupt when the only copies known were corrupt,
   * otherwise missing.
   */
  healthOf(chunkId: string, replication: number): 'healthy' | 'under-replicated' | 'missing' | 'corrupt' {
    const holders = this.nodesHolding(chunkId);
    const live = holders.filter((n) => COUNTS_TOWARD_R.has(n.state)).length;
    if (live >= replication) return 'healthy';
    if (live > 0 || holders.some((n) => CAN_SOURCE.includes(n.state))) return 'under-replicated';
    return this.corrupt.has(chunkId) ? 'corrupt' : 'missing';
  }

  /**
   * Whether any chunk waiting for copies, or not yet looked up (see
   * unchecked), has a copy on this node (draining is not finished).
   */
  async isNeededSource(nodeId: string): Promise<boolean> {
    const pacer = new EventLoopPacer();
    for (const chunkIds of [this.wants.keys(), this.unchecked]) {
      for (const chunkId of chunkIds) {
        if (pacer.due()) await pacer.yield();
        if (this.replicas.holdersOf(chunkId).includes(nodeId)) return true;
      }
    }
    return false;
  }

  /**
   * Reads every visible file's chunk list and evaluates each chunk: what
   * finds chunks that lost copies while this coordinator was not watching
   * (a node that died during a restart never reports). Run once the view is
   * complete, then now and then.
   */
  async scanAll(signal?: AbortSignal): Promise<{ files: number; chunks: number }> {
    let cursor: string | undefined;
    let files = 0;
    let chunks = 0;
    // A million files are a million chunk-list reads, each answered synchronously by the embedded store.
    const pacer = new EventLoopPacer();
    do {
      signal?.throwIfAborted();
      const page = await this.store.list('/', { recursive: true, limit: 1000, cursor });
      for (const entry of page.entries) {
        if (entry.kind !== 'file') continue;
        files++;
        for await (const chunk of this.store.readChunks(entry.file.fileId)) {
          chunks++;
          this.evaluate(chunk.chunkId, entry.file);
          if (pacer.due()) await pacer.yield();
        }
        if (pacer.due()) await pacer.yield();
      }
      cursor = page.nextCursor;
    } while (cursor);
    return { files, chunks };
  }

  /** Deletes copies beyond the replication (see trimVictims) once the view is complete, nothing moves and no earlier trim of the chunk is pending. */
  private trim(chunkId: string, holders: NodeRecord[], replication: number): void {
    if (!this.options.viewComplete?.() || this.inFlight.has(chunkId) || this.trims.hasChunk(chunkId)) return;
    const healthy = holders.filter((n) => n.state === 'healthy');
    if (healthy.length <= replication) return;
    for (const n of trimVictims(healthy, holders.filter((h) => COUNTS_TOWARD_R.has(h.state)), healthy.length - replication)) {
      this.trims.add(n.nodeId, chunkId, this.now());
      this.replicas.remove(n.nodeId, chunkId);
      this.commands.send(n.nodeId, create(NodeCommandSchema, { command: { case: 'deleteChunks', value: { chunkIds: [chunkId] } } }));
      this.logger.info({ chunkId, nodeId: n.nodeId }, 'trimming a surplus copy');
    }
  }

  private chooseTarget(want: Want, holders: NodeRecord[], live: NodeRecord[], busy: (nodeId: string) => boolean): NodeRecord | undefined {
    // A node a copy is being trimmed from may still hold it, and will delete it.
    const exclude = new Set([...holders.map((n) => n.nodeId), ...want.failedTargets, ...this.trims.nodesOf(want.chunkId)]);
    const candidates = live.filter((n) => !exclude.has(n.nodeId) && !busy(n.nodeId));
    if (candidates.length === 0) return undefined;
    // A zone that holds no copy yet comes first, as for a new chunk.
    const zones = new Set(holders.filter((n) => COUNTS_TOWARD_R.has(n.state)).map((n) => n.zone));
    const newZones = candidates.filter((n) => !zones.has(n.zone));
    for (const pool of newZones.length > 0 && newZones.length < candidates.length ? [newZones, candidates] : [candidates]) {
      // No room in this pool is common (and cheap): try the wider one.
      const placed = tryPlaceChunk(pool, { replication: 1, chunkSize: want.chunkSize });
      if (placed.ok) return placed.nodes[0];
    }
    return undefined;
  }

  private nodesHolding(chunkId: string): NodeRecord[] {
    return this.replicas.holdersOf(chunkId).flatMap((id) => {
      const n = this.membership.node(id);
      return n ? [n] : [];
    });
  }

  private backOff(chunkId: string, target: string): void {
    const want = this.wants.get(chunkId);
    if (!want) return;
    want.failedTargets.add(target);
    // Every live node failed once: start over with all of them, after a pause.
    if (want.failedTargets.size >= this.membership.live().length) want.failedTargets.clear();
    want.notBefore = this.now() + 2_000;
  }

  private forget(chunkId: string): void {
    this.wants.delete(chunkId);
    this.missing.delete(chunkId);
    this.corrupt.delete(chunkId);
  }
}
