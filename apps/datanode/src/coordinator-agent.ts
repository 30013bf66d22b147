import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@connectrpc/connect';
import type { ChunkStore } from '@dfs/chunk-store';
import type { ClientPool } from '@dfs/client-pool';
import { CoordinatorService, DfsError, type HeartbeatResponse, type NodeCommand } from '@dfs/proto';
import type { Logger } from 'pino';

export interface CoordinatorAgentOptions {
  coordinators: string[];
  pool: ClientPool;
  store: ChunkStore;
  self: { nodeId: string; address: string; zone: string };
  logger: Logger;
  /** Writes and copies running now (reported for placement by load). */
  activeTransfers: () => number;
  /** Runs a copy command (re-replication); resolves when the target holds the chunk. */
  copyChunk: (chunkId: string, target: { nodeId: string; address: string }, signal: AbortSignal) => Promise<void>;
  /** Full chunk report this often, besides the one after (re-)registering. Default 1 h. */
  reportIntervalMs?: number;
  /** Ids per ReportChunks call. Default 10,000. */
  reportBatch?: number;
}

/**
 * The datanode's side of membership: register (retrying until a coordinator
 * answers), report every chunk held, then heartbeat with live stats and run
 * the commands that come back (delete chunks, copy a chunk to another node).
 * A coordinator that forgot this node (restart, failover) asks it to
 * register again, and it does.
 */
export class CoordinatorAgent {
  private readonly controller = new AbortController();
  private running: Promise<void> | undefined;
  private membershipVersion = 0n;
  private intervalMs = 2_000;
  /** Chunks deleted (or found absent) on command, confirmed with the next heartbeat. */
  private removed: string[] = [];

  constructor(private readonly o: CoordinatorAgentOptions) {}

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
        if (res.reportChunks || Date.now() - lastReport > reportEvery) {
          await this.report();
          lastReport = Date.now();
        }
        for (const command of res.commands) void this.execute(command);
      }
    }
  }

  private async register(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const stats = await this.stats();
        const res = await this.call((c) =>
          c.registerNode({ nodeId: this.o.self.nodeId, address: this.o.self.address, zone: this.o.self.zone, stats }, { signal: this.signal }),
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

  /** The full inventory, in batches; failures are logged and retried at the next occasion. */
  private async report(): Promise<void> {
    const reportId = `${this.o.self.nodeId}-${Date.now()}`;
    const batchSize = this.o.reportBatch ?? 10_000;
    let batch: string[] = [];
    let total = 0;
    const send = async (last: boolean) => {
      await this.call((c) => c.reportChunks({ nodeId: this.o.self.nodeId, reportId, chunkIds: batch, last }, { signal: this.signal }));
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
      const removedChunkIds = this.removed.splice(0, 10_000);
      try {
        const res = await this.call((c) =>
          c.heartbeat({ nodeId: this.o.self.nodeId, stats, knownMembershipVersion: this.membershipVersion, removedChunkIds }, { signal: this.signal }),
        );
        this.membershipVersion = res.membershipVersion;
        return res;
      } catch (err) {
        this.removed.unshift(...removedChunkIds); // confirmed with the next heartbeat instead
        throw err;
      }
    } catch (err) {
      this.signal.throwIfAborted();
      this.o.logger.warn({ err: DfsError.from(err).rawMessage }, 'heartbeat failed');
      return undefined;
    }
  }

  private async execute(command: NodeCommand): Promise<void> {
    try {
      if (command.command.case === 'deleteChunks') {
        let deleted = 0;
        for (const id of command.command.value.chunkIds) {
          if (await this.o.store.delete(id)) deleted++;
          // Absent counts as removed too: the coordinator only needs to know it is gone.
          this.removed.push(id);
        }
        this.o.logger.info({ requested: command.command.value.chunkIds.length, deleted }, 'deleted chunks on command');
      } else if (command.command.case === 'copyChunk') {
        const { chunkId, target } = command.command.value;
        if (target) await this.o.copyChunk(chunkId, target, this.signal);
      }
    } catch (err) {
      if (!this.signal.aborted) this.o.logger.warn({ err: DfsError.from(err).rawMessage, command: command.command.case }, 'command failed');
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

  /** One coordinator call, failing over between the configured coordinators per the pool's policy. */
  private call<T>(fn: (client: Client<typeof CoordinatorService>) => Promise<T>): Promise<T> {
    return this.o.pool.call(CoordinatorService, this.o.coordinators, (client) => fn(client), { signal: this.signal });
  }
}
