import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@connectrpc/connect';
import type { ChunkStore } from '@dfs/chunk-store';
import type { ClientPool } from '@dfs/client-pool';
import { Code, CoordinatorService, DfsError, type CopyChunkRequest, type CopyOutcome, type HeartbeatResponse, type NodeCommand } from '@dfs/proto';
import type { Logger } from 'pino';
import { deleteEach } from './delete-each.js';
import { PendingReports } from './pending-reports.js';

export interface CoordinatorAgentOptions {
  coordinators: string[];
  pool: ClientPool;
  store: ChunkStore;
  self: { nodeId: string; address: string; zone: string };
  logger: Logger;
  /** Writes and copies running now (reported for placement by load). */
  activeTransfers: () => number;
  /**
   * Runs a copy command (re-replication); resolves when the target holds the
   * chunk. It limits how many run at once itself (see copyChunkTo).
   */
  copyChunk: (chunkId: string, target: { nodeId: string; address: string }, signal: AbortSignal) => Promise<void>;
  /**
   * Chunks quarantined as corrupt, filled by the store's onCorrupt (which
   * can fire before the agent exists: at the startup scan); sent with the
   * heartbeats. Default: an empty queue.
   */
  corruptChunks?: PendingReports<string>;
  /** Full chunk report this often, besides the one after (re-)registering. Default 1 h. */
  reportIntervalMs?: number;
  /** Ids per ReportChunks call. Default 10,000. */
  reportBatch?: number;
  /**
   * Deadline of each call to a coordinator. Default 10 s; a ReportChunks
   * call (up to reportBatch ids, which a coordinator restarting on millions
   * of files checks for seconds) gets 6 times as long. Without it, a
   * coordinator that stops answering without closing its connection
   * (SIGSTOP, a host gone silent) would hold the agent for ever, and never
   * let it fail over to the next coordinator.
   */
  callTimeoutMs?: number;
}

const CALL_TIMEOUT_MS = 10_000;
const REPORT_TIMEOUT_FACTOR = 6;

/** Ids (or copy outcomes) per list in one heartbeat; the rest go with the next. */
const MAX_IDS_PER_HEARTBEAT = 10_000;
/** Failed deletes of one command logged one by one; a dying disk may fail all 10,000 (the summary counts them). */
const MAX_LOGGED_FAILURES = 20;

/**
 * The datanode's side of membership: register (retrying until a coordinator
 * answers), report every chunk held, then heartbeat with live stats and run
 * the commands that come back (delete chunks, copy a chunk to another node).
 * Later heartbeats tell what was removed, what was found corrupt and how
 * each copy ended, and keep telling until a heartbeat gets through.
 * A coordinator that forgot this node (restart, failover) asks it to
 * register again, and it does.
 */
export class CoordinatorAgent {
  private readonly controller = new AbortController();
  private running: Promise<void> | undefined;
  private membershipVersion = 0n;
  private intervalMs = 2_000;
  /** Chunks deleted (or found absent) on command, confirmed with the next heartbeat. */
  private readonly removed = new PendingReports<string>();
  private readonly corrupt: PendingReports<string>;
  private readonly copyOutcomes = new PendingReports<Pick<CopyOutcome, 'chunkId' | 'targetNodeId' | 'ok' | 'error'>>();
  /** Copy commands queued or running, as chunk>target: a repeated command joins the one under way. */
  private readonly copying = new Set<string>();
  /** Delete commands running: a report waits for them (see report). */
  private readonly deleting = new Set<Promise<void>>();

  constructor(private readonly o: CoordinatorAgentOptions) {
    this.corrupt = o.corruptChunks ?? new PendingReports<string>();
  }

  start(): void {
    this.running ??= this.run().catch((err: unknown) => {
      if (!this.controller.signal.aborted) this.o.logger.error({ err }, 'coordinator agent stopped unexpectedly');
    });
  }

  async stop(): Promise<void> {
    this.controller.abort();
    await this.running;
  }

  private get signal(): AbortSignal {
    return this.controller.signal;
  }

  private async run(): Promise<void> {
    const reportEvery = this.o.reportIntervalMs ?? 3_600_000;
    while (!this.signal.aborted) {
      await this.register();
      await this.report();
      let lastReport = Date.now();
      // Heartbeat until the coordinator asks us to register again.
      for (;;) {
        await sleep(this.intervalMs, undefined, { signal: this.signal });
        const res = await this.heartbeat();
        if (!res) continue;
        if (res.reregister) break;
        // Before the report this answer may ask for: a report waits for the deletes (see report).
        for (const command of res.commands) void this.execute(command);
        if (res.reportChunks || Date.now() - lastReport > reportEvery) {
          await this.report();
          lastReport = Date.now();
        }
      }
    }
  }

  private async register(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const stats = await this.stats();
        const res = await this.call((c) =>
          c.registerNode({ nodeId: this.o.self.nodeId, address: this.o.self.address, zone: this.o.self.zone, stats }, this.callOptions()),
        );
        this.membershipVersion = res.membershipVersion;
        if (res.heartbeatIntervalMs > 0) this.intervalMs = res.heartbeatIntervalMs;
        this.o.logger.info({ coordinators: this.o.coordinators, heartbeatIntervalMs: this.intervalMs }, 'registered with the coordinator');
        return;
      } catch (err) {
        this.signal.throwIfAborted();
        const e = DfsError.from(err);
        if (attempt === 1 || attempt % 30 === 0) this.o.logger.warn({ code: e.code, err: e.rawMessage, attempt }, 'coordinator not reachable yet; retrying');
        await sleep(Math.min(5_000, 200 * attempt), undefined, { signal: this.signal });
      }
    }
  }

  /**
   * The full inventory, in batches; failures are logged and retried at the
   * next occasion. It waits for the deletes under way: a report listing a
   * chunk the coordinator told this node to delete would have it count that
   * copy again, and possibly delete another one.
   */
  private async report(): Promise<void> {
    await Promise.all(this.deleting);
    const reportId = `${this.o.self.nodeId}-${Date.now()}`;
    const batchSize = this.o.reportBatch ?? 10_000;
    let batch: string[] = [];
    let total = 0;
    const send = async (last: boolean) => {
      await this.call((c) => c.reportChunks({ nodeId: this.o.self.nodeId, reportId, chunkIds: batch, last }, this.callOptions(REPORT_TIMEOUT_FACTOR)));
      total += batch.length;
      batch = [];
    };
    try {
      for await (const chunk of this.o.store.list({ signal: this.signal })) {
        batch.push(chunk.chunkId);
        if (batch.length >= batchSize) await send(false);
      }
      await send(true);
      this.o.logger.info({ chunks: total }, 'chunk report sent');
    } catch (err) {
      this.signal.throwIfAborted();
      this.o.logger.warn({ err: DfsError.from(err).rawMessage }, 'chunk report failed; will retry');
    }
  }

  private async heartbeat(): Promise<HeartbeatResponse | undefined> {
    try {
      const stats = await this.stats();
      const removedChunkIds = this.removed.take(MAX_IDS_PER_HEARTBEAT);
      const corrupt = this.corrupt.take(MAX_IDS_PER_HEARTBEAT);
      const copyOutcomes = this.copyOutcomes.take(MAX_IDS_PER_HEARTBEAT);
      try {
        const corruptChunkIds = await this.stillQuarantined(corrupt);
        const res = await this.call((c) =>
          c.heartbeat(
            { nodeId: this.o.self.nodeId, stats, knownMembershipVersion: this.membershipVersion, removedChunkIds, corruptChunkIds, copyOutcomes },
            this.callOptions(),
          ),
        );
        this.membershipVersion = res.membershipVersion;
        if (res.reregister) {
          // The coordinator does not know this node and processed none of the
          // lists (it answers before reading them). Re-registering and the
          // full report rebuild where the chunks are, but not what these say:
          // removals confirm deletes the coordinator waits for, outcomes end
          // its copies. They go with the first heartbeat after registering.
          this.removed.putBack(removedChunkIds);
          this.corrupt.putBack(corrupt);
          this.copyOutcomes.putBack(copyOutcomes);
        }
        return res;
      } catch (err) {
        // Told with the next heartbeat instead.
        this.removed.putBack(removedChunkIds);
        this.corrupt.putBack(corrupt);
        this.copyOutcomes.putBack(copyOutcomes);
        throw err;
      }
    } catch (err) {
      this.signal.throwIfAborted();
      this.o.logger.warn({ err: DfsError.from(err).rawMessage }, 'heartbeat failed');
      return undefined;
    }
  }

  /**
   * Leaves out quarantined chunks stored again since (re-replicated here
   * while an earlier heartbeat failed, or a stray copy quarantined beside a
   * good one at startup): reporting those would make the coordinator drop a
   * good replica. A chunk the store could not move to quarantine is
   * condemned where it lies, and has() is false for it: it is reported too.
   * When in doubt (an I/O error), the report goes out.
   */
  private async stillQuarantined(ids: string[]): Promise<string[]> {
    const out: string[] = [];
    for (const id of ids) if (!(await this.o.store.has(id).catch(() => false))) out.push(id);
    return out;
  }

  private async execute(command: NodeCommand): Promise<void> {
    if (command.command.case === 'copyChunk') return this.copy(command.command.value);
    const running = this.runCommand(command);
    this.deleting.add(running);
    await running;
    this.deleting.delete(running);
  }

  /** Commands other than copies (deletes); never rejects. */
  private async runCommand(command: NodeCommand): Promise<void> {
    if (command.command.case !== 'deleteChunks') return;
    const requested = command.command.value.chunkIds;
    const outcome = await deleteEach(this.o.store, requested, this.signal);
    // Confirmed removed: absent counts too, the coordinator only needs to
    // know it is gone. The failed ones are not: the coordinator keeps them
    // pending and sends them again (a GC delete once a chunk report lists the
    // chunk; a trim's copy stays out of its counts until then).
    for (const id of [...outcome.deleted, ...outcome.notFound]) this.removed.add(id);
    if (this.signal.aborted) return;
    const { deleted, notFound, failed } = outcome;
    for (const f of failed.slice(0, MAX_LOGGED_FAILURES)) this.o.logger.warn({ chunkId: f.chunkId, err: f.error.rawMessage }, 'could not delete a chunk on command; the coordinator will ask again');
    const summary = { requested: requested.length, deleted: deleted.length, notFound: notFound.length, failed: failed.length };
    if (failed.length > 0) this.o.logger.warn(summary, 'deleted chunks on command, some failed');
    else this.o.logger.info(summary, 'deleted chunks on command');
  }

  /** Runs a copy command and queues its outcome for the next heartbeat (none when the agent is stopping). */
  private async copy({ chunkId, target }: CopyChunkRequest): Promise<void> {
    const targetNodeId = target?.nodeId ?? '';
    const key = `${chunkId}>${targetNodeId}`;
    if (this.copying.has(key)) return;
    this.copying.add(key);
    try {
      if (!target?.address) throw new DfsError(Code.InvalidArgument, 'the copy command names no target address');
      await this.o.copyChunk(chunkId, target, this.signal);
      this.copyOutcomes.add({ chunkId, targetNodeId, ok: true, error: '' });
      this.o.logger.info({ chunkId, target: targetNodeId }, 'copied a chunk on command');
    } catch (err) {
      if (this.signal.aborted) return;
      const error = DfsError.from(err).message;
      this.copyOutcomes.add({ chunkId, targetNodeId, ok: false, error });
      this.o.logger.warn({ chunkId, target: targetNodeId, err: error }, 'copy command failed');
    } finally {
      this.copying.delete(key);
    }
  }

  private async stats() {
    const u = await this.o.store.usage();
    return {
      capacityBytes: BigInt(u.capacityBytes),
      usedBytes: BigInt(u.usedBytes),
      freeBytes: BigInt(u.freeBytes),
      chunkCount: BigInt(u.chunkCount),
      activeTransfers: this.o.activeTransfers(),
    };
  }

  private callOptions(factor = 1): { signal: AbortSignal; timeoutMs: number } {
    return { signal: this.signal, timeoutMs: factor * (this.o.callTimeoutMs ?? CALL_TIMEOUT_MS) };
  }

  /** One coordinator call, failing over between the configured coordinators per the pool's policy. */
  private call<T>(fn: (client: Client<typeof CoordinatorService>) => Promise<T>): Promise<T> {
    return this.o.pool.call(CoordinatorService, this.o.coordinators, (client) => fn(client), { signal: this.signal });
  }
}
