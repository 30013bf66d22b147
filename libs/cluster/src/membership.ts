import { Code, DfsError } from '@dfs/proto';
import type { MembershipStore, NodeRecord, NodeState } from './membership-store.js';
import { resolveMembershipOptions, type MembershipOptions, type ResolvedMembershipOptions } from './membership-options.js';
import { checkRegistration, type NodeRegistration } from './node-registration.js';
import { checkNodeStats, type NodeStats } from './node-stats.js';
import { fromStore, type AdminState, type StoredNode } from './stored-node.js';

/** A state change, for logs and for re-replication. */
export interface NodeTransition {
  nodeId: string;
  from: NodeState;
  to: NodeState;
  at: Date;
  /** Time since the node's last heartbeat when it changed. */
  silentMs: number;
}

export interface HeartbeatResult {
  /** The node's own record after this heartbeat. */
  node: NodeRecord;
  /** The version the node should send as `knownVersion` next time. */
  membershipVersion: number;
  /** True when `updates` is the whole table: the node replaces its view instead of merging. */
  full: boolean;
  /** Records changed since `knownVersion` (or every record when `full`). */
  updates: NodeRecord[];
  /** Set when this heartbeat changed the node's state (suspect → healthy). */
  transition?: NodeTransition;
}

export type MembershipCounts = Record<NodeState | 'total', number>;

interface Entry {
  /** Freshest view: stats and lastHeartbeat are updated in memory on every beat; `version` is the store's. */
  record: NodeRecord;
  /** Membership version of the last state, address or zone change: what heartbeats compare against. */
  changedAt: number;
  /** Clock time the last write of this record was asked for: what the stats throttle counts from. */
  persistedAt: number;
  /** Memory holds something the store does not. */
  dirty: boolean;
  /** The unwritten part includes a membership change (so the write moves `changedAt`). */
  changePending: boolean;
  /** A write that is queued but not started yet: later changes ride along with it. */
  queued?: Promise<void>;
  /** Draining or drained on an operator's word, whatever `record.state` says now (a dead node keeps it). */
  admin?: AdminState;
}

/**
 * Creates the coordinator's view of its datanodes. Call `load()` once at start,
 * then `register`/`heartbeat` from the RPC handlers and `tick()` periodically.
 */
export function createMembership(options: Partial<MembershipOptions> & Pick<MembershipOptions, 'store'>): Membership {
  return new Membership(resolveMembershipOptions(options));
}

/**
 * Membership: who the datanodes are, whether they are alive, and a version
 * that moves only when something a peer cares about changes.
 *
 * The table lives in memory and is authoritative for this coordinator; the
 * store is its persistence. Every write to the store gets a new version from
 * it, but only state, address and zone changes move a record's `changedAt`
 * and the membership version: stats change on every beat, and if they moved
 * the version every node would be sent every other node's stats every two
 * seconds. Stats and lastHeartbeat are written back at most every
 * `statsPersistIntervalMs` (nothing reads them from the store but status
 * tools: after a restart nodes are distrusted until they beat again anyway).
 *
 * All store writes go through one queue, so they complete in version order:
 * a heartbeat can never report version N while a write that got N-1 is
 * still in flight and would then be missed by the node's next incremental.
 */
export class Membership {
  readonly heartbeatIntervalMs: number;
  readonly suspectAfterMs: number;
  readonly deadAfterMs: number;
  private readonly store: MembershipStore;
  private readonly clock: () => number;
  private readonly entries = new Map<string, Entry>();
  private currentVersion = 0;
  private writes: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: ResolvedMembershipOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs;
    this.suspectAfterMs = options.suspectAfterMs;
    this.deadAfterMs = options.deadAfterMs;
  }

  /** The latest membership version: what a node that saw every change would send as knownVersion. */
  get version(): number {
    return this.currentVersion;
  }

  /**
   * Reads the table from the store at coordinator start. Nobody has heard
   * from the nodes since the last coordinator stopped, so healthy ones become
   * suspect with lastHeartbeat = now: they are back to healthy on their next
   * beat and turn dead if they never come back. Returns those transitions.
   */
  async load(): Promise<NodeTransition[]> {
    const storedNodes = await this.store.listNodes();
    const now = this.clock();
    this.entries.clear();
    this.currentVersion = 0;
    const transitions: NodeTransition[] = [];
    for (const stored of storedNodes) {
      const { record, admin } = fromStore(stored);
      const entry: Entry = { record, changedAt: record.version, persistedAt: now, dirty: false, changePending: false, admin };
      this.currentVersion = Math.max(this.currentVersion, record.version);
      if (record.state !== 'dead') {
        const silentMs = Math.max(0, now - record.lastHeartbeat.getTime());
        entry.record.lastHeartbeat = new Date(now);
        if (record.state === 'healthy') {
          entry.record.state = 'suspect';
          transitions.push({ nodeId: record.nodeId, from: 'healthy', to: 'suspect', at: new Date(now), silentMs });
        }
      }
      this.entries.set(record.nodeId, entry);
    }
    await Promise.all(transitions.map((t) => this.persist(this.entries.get(t.nodeId)!, true)));
    return transitions;
  }

  /**
   * Adds a node or refreshes a known one (a restarted datanode). A known node
   * keeps its registeredAt and takes the new address, zone and stats; a dead
   * or suspect one is healthy again, unless an operator made it draining or
   * drained: it is that again, even after dying in between (the operator's
   * decision, not the node's). An address that a different, not-dead node
   * holds is AlreadyExists.
   */
  async register(registration: NodeRegistration): Promise<NodeRecord> {
    const { nodeId, address, zone } = checkRegistration(registration);
    const stats = checkNodeStats(registration.stats, nodeId);
    // Runs in the write queue so two nodes racing for one address are checked one after the other.
    return this.enqueue(async () => {
      const now = this.clock();
      for (const other of this.entries.values()) {
        const o = other.record;
        if (o.nodeId !== nodeId && o.address === address && o.state !== 'dead') {
          throw new DfsError(
            Code.AlreadyExists,
            `address ${address} is already registered by node ${o.nodeId} (${o.state}): give node ${nodeId} its own address, ` +
              `or stop ${o.nodeId} and wait until it is declared dead (${this.deadAfterMs} ms without a heartbeat)`,
          );
        }
      }
      const existing = this.entries.get(nodeId);
      const previous = existing?.record;
      const admin = existing?.admin;
      const record: StoredNode = {
        nodeId,
        address,
        zone,
        state: admin ?? 'healthy',
        ...stats,
        registeredAt: previous ? new Date(previous.registeredAt) : new Date(now),
        lastHeartbeat: new Date(now),
        ...(admin && { adminState: admin }),
      };
      const changed = !previous || previous.address !== address || previous.zone !== zone || previous.state !== record.state;
      const stored = await this.store.putNode(record).catch((err: unknown) => {
        throw storeError(err, nodeId, 'register the node again');
      });
      const entry: Entry = {
        record: fromStore(stored).record,
        admin,
        changedAt: changed ? stored.version : existing!.changedAt,
        persistedAt: now,
        dirty: false,
        changePending: false,
      };
      this.entries.set(nodeId, entry);
      if (changed) this.currentVersion = Math.max(this.currentVersion, stored.version);
      return view(entry);
    });
  }

  /**
   * Records a heartbeat and answers with the membership changes the node has
   * not seen. Unknown and dead nodes are NotFound: they must register again
   * (and a dead one send a full chunk report, since its replicas were written off).
   */
  async heartbeat(nodeId: string, stats: NodeStats, knownVersion: number): Promise<HeartbeatResult> {
    const checked = checkNodeStats(stats, nodeId);
    const entry = this.entries.get(nodeId);
    if (!entry) {
      throw new DfsError(Code.NotFound, `node ${nodeId} is not registered with this coordinator (it may have restarted without it): register again, then heartbeat`);
    }
    const now = this.clock();
    const record = entry.record;
    if (record.state === 'dead') {
      throw new DfsError(
        Code.NotFound,
        `node ${nodeId} was declared dead after ${this.deadAfterMs} ms without a heartbeat: register again and send a full chunk report`,
      );
    }
    const silentMs = Math.max(0, now - record.lastHeartbeat.getTime());
    Object.assign(record, checked);
    record.lastHeartbeat = new Date(now);
    let transition: NodeTransition | undefined;
    if (record.state === 'suspect') {
      record.state = 'healthy';
      transition = { nodeId, from: 'suspect', to: 'healthy', at: new Date(now), silentMs };
      // Awaited: the answer must carry the version that includes this node's recovery.
      await this.persist(entry, true);
    } else if (now - entry.persistedAt >= this.options.statsPersistIntervalMs && !entry.queued) {
      // Not awaited: a slow store must not slow heartbeats down for a stats refresh.
      this.persist(entry, false).catch((err: unknown) => this.options.onPersistError(DfsError.from(err), nodeId));
    }
    return { node: view(entry), membershipVersion: this.currentVersion, ...this.updatesSince(knownVersion), ...(transition && { transition }) };
  }

  /**
   * Applies the timeouts: healthy → suspect after suspectAfterMs without a
   * heartbeat, → dead after deadAfterMs (counted from the last heartbeat, so
   * a late tick can go straight from healthy to dead); draining and drained
   * nodes go dead after deadAfterMs. A node is suspect at exactly
   * suspectAfterMs of silence. Time this process was stalled (stalledMs) is
   * not the nodes' silence: their beats were waiting for us, and after a
   * long block the tick's timer runs before they are read, so without this a
   * 30 s stall would declare every node dead and start re-replicating all
   * their chunks. Also retries writes that failed before.
   */
  async tick(): Promise<NodeTransition[]> {
    const now = this.clock();
    const stalled = this.options.stalledMs();
    if (stalled > 0) {
      for (const { record } of this.entries.values()) {
        if (record.state !== 'dead') record.lastHeartbeat = new Date(Math.min(now, record.lastHeartbeat.getTime() + stalled));
      }
    }
    const transitions: NodeTransition[] = [];
    const toWrite: Entry[] = [];
    const changed = new Set<Entry>();
    for (const entry of this.entries.values()) {
      const record = entry.record;
      const silentMs = now - record.lastHeartbeat.getTime();
      const to = nextState(record.state, silentMs, this.suspectAfterMs, this.deadAfterMs);
      if (to !== record.state) {
        transitions.push({ nodeId: record.nodeId, from: record.state, to, at: new Date(now), silentMs });
        record.state = to;
        changed.add(entry);
        toWrite.push(entry);
      } else if (entry.dirty && !entry.queued) {
        toWrite.push(entry);
      }
    }
    const results = await Promise.allSettled(toWrite.map((entry) => this.persist(entry, changed.has(entry))));
    results.forEach((result, i) => {
      if (result.status === 'rejected') this.options.onPersistError(DfsError.from(result.reason), toWrite[i]!.record.nodeId);
    });
    return transitions;
  }

  /**
   * An operator's state change: `draining` (keeps serving reads, takes no new
   * chunks, its chunks are copied elsewhere), `drained` (everything it holds
   * has enough copies elsewhere), or back to `healthy`. Persisted, apart
   * from liveness: survives re-registration, death and restarts (see
   * AdminState). A dead node can only have its drain called off (`healthy`):
   * it stays dead, and comes back healthy. NotFound for an unknown node,
   * FailedPrecondition for draining a dead one or a change that skips a step.
   */
  async setAdminState(nodeId: string, to: 'draining' | 'drained' | 'healthy'): Promise<NodeTransition | undefined> {
    const entry = this.entries.get(nodeId);
    if (!entry) throw new DfsError(Code.NotFound, `node ${nodeId} is not known to this coordinator: check the id with ListNodes`);
    const from = entry.record.state;
    if (from === 'dead' && to === 'healthy') {
      if (entry.admin === undefined) return undefined;
      entry.admin = undefined;
      await this.persist(entry, true);
      return undefined;
    }
    if (from === to) return undefined;
    const allowed = to === 'draining' ? ['healthy', 'suspect', 'drained'] : to === 'drained' ? ['draining'] : ['draining', 'drained'];
    if (!allowed.includes(from)) {
      throw new DfsError(Code.FailedPrecondition, `node ${nodeId} is ${from}, so it cannot become ${to}` + (from === 'dead' ? ': its chunks are re-replicated from other copies already' : ''));
    }
    entry.record.state = to;
    entry.admin = to === 'healthy' ? undefined : to;
    const now = this.clock();
    await this.persist(entry, true);
    return { nodeId, from, to, at: new Date(now), silentMs: Math.max(0, now - entry.record.lastHeartbeat.getTime()) };
  }

  /** Every known node, sorted by id. */
  nodes(): NodeRecord[] {
    return [...this.entries.values()].map(view).sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  }

  node(nodeId: string): NodeRecord | undefined {
    const entry = this.entries.get(nodeId);
    return entry && view(entry);
  }

  /** Healthy nodes only: the candidates for placing new chunks. */
  live(): NodeRecord[] {
    return this.nodes().filter((n) => n.state === 'healthy');
  }

  counts(): MembershipCounts {
    const counts: MembershipCounts = { total: 0, healthy: 0, suspect: 0, dead: 0, draining: 0, drained: 0 };
    for (const { record } of this.entries.values()) {
      counts.total += 1;
      counts[record.state] += 1;
    }
    return counts;
  }

  /** Resolves once every write queued so far has finished (tests, shutdown). */
  async flush(): Promise<void> {
    await this.writes;
  }

  private updatesSince(knownVersion: number): { full: boolean; updates: NodeRecord[] } {
    // The whole table is in memory, so any version this coordinator's store
    // handed out can be answered incrementally. "Too old" means the node has
    // no view yet (0), or a version from another epoch (larger than any we
    // know: the store was replaced, or it talked to another cluster).
    const full = !(Number.isSafeInteger(knownVersion) && knownVersion > 0 && knownVersion <= this.currentVersion);
    const updates: NodeRecord[] = [];
    for (const entry of this.entries.values()) {
      if (full || entry.changedAt > knownVersion) updates.push(view(entry));
    }
    return { full, updates: updates.sort((a, b) => a.version - b.version) };
  }

  /**
   * Writes an entry's current record. Calls made while a write is still
   * queued share it; the record is read when the write starts, so it carries
   * every change made until then.
   */
  private persist(entry: Entry, membershipChange: boolean): Promise<void> {
    entry.dirty = true;
    entry.changePending ||= membershipChange;
    // Counted from the request, not the completion, so a slow store does not stretch the interval.
    entry.persistedAt = this.clock();
    if (entry.queued) return entry.queued;
    const queued = this.enqueue(async () => {
      entry.queued = undefined;
      if (this.entries.get(entry.record.nodeId) !== entry || !entry.dirty) return;
      const change = entry.changePending;
      entry.dirty = false;
      entry.changePending = false;
      const { version: _version, ...record } = entry.record;
      const toStore: StoredNode = { ...record, registeredAt: new Date(record.registeredAt), lastHeartbeat: new Date(record.lastHeartbeat), ...(entry.admin && { adminState: entry.admin }) };
      let stored: NodeRecord;
      try {
        stored = await this.store.putNode(toStore);
      } catch (err) {
        entry.dirty = true;
        entry.changePending ||= change;
        throw storeError(err, record.nodeId, 'the change is kept in memory and retried on the next tick');
      }
      entry.record.version = stored.version;
      if (change) {
        entry.changedAt = stored.version;
        this.currentVersion = Math.max(this.currentVersion, stored.version);
      }
    });
    entry.queued = queued;
    return queued;
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const result = this.writes.then(task);
    this.writes = result.catch(() => undefined);
    return result;
  }
}

function nextState(state: NodeState, silentMs: number, suspectAfterMs: number, deadAfterMs: number): NodeState {
  if (state === 'dead') return state;
  if (silentMs >= deadAfterMs) return 'dead';
  if (state === 'healthy' && silentMs >= suspectAfterMs) return 'suspect';
  return state;
}

function storeError(err: unknown, nodeId: string, advice: string): DfsError {
  const cause = DfsError.from(err, Code.Unavailable);
  return new DfsError(cause.code, `could not save node ${nodeId} to the metadata store (${cause.rawMessage}): ${advice}`, { cause: err });
}

/** A copy that callers may keep or mutate, with the membership-change version as `version`. */
function view(entry: Entry): NodeRecord {
  return { ...copyRecord(entry.record), version: entry.changedAt };
}

function copyRecord(record: NodeRecord): NodeRecord {
  return { ...record, registeredAt: new Date(record.registeredAt), lastHeartbeat: new Date(record.lastHeartbeat) };
}
