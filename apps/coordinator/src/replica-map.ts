// Where every chunk's copies are, as the datanodes say: full chunk reports
// (after registering, and periodically), commits (the nodes that acknowledged
// a chunk durable), finished copies, confirmed deletes and corrupt copies.
// In memory only: after a restart it is rebuilt from the reports, and until
// every live node has reported, the view is incomplete and nothing that
// could lose data (trimming, orphan deletes) is decided from it.
import { EventLoopPacer } from './event-loop-pacer.js';

/** What applying a report batch did. */
export interface ReportApplied {
  added: string[];
  dropped: string[];
  /** The report is complete and now the node's view; false for a batch before the last, or an apply a newer report or registration stopped. */
  applied: boolean;
}

interface ReportInProgress {
  reportId: string;
  ids: Set<string>;
  /** Chunks added or removed on the node while the report ran: the report's snapshot may predate them. */
  changed: Set<string>;
}

export class ReplicaMap {
  /** Node ids interned as small numbers: a million chunks × 3 copies stays small. */
  private readonly nodeIndex = new Map<string, number>();
  private readonly nodeIds: string[] = [];
  private readonly holders = new Map<string, number[]>();
  private readonly byNode = new Map<number, Set<string>>();
  private readonly reports = new Map<string, ReportInProgress>();
  private readonly reported = new Set<string>();

  /**
   * @param sliceMs how long applying a report may hold the thread between yields (tests pass 0: a yield per chunk)
   * @param withheld copies a report does not add back: being deleted on command (the report may predate the delete)
   */
  constructor(
    private readonly sliceMs = 10,
    private readonly withheld: (nodeId: string, chunkId: string) => boolean = () => false,
  ) {}

  add(nodeId: string, chunkId: string): void {
    this.reports.get(nodeId)?.changed.add(chunkId);
    this.addCopy(this.index(nodeId), chunkId);
  }

  remove(nodeId: string, chunkId: string): void {
    this.reports.get(nodeId)?.changed.add(chunkId);
    const n = this.nodeIndex.get(nodeId);
    if (n !== undefined) this.removeCopy(n, chunkId);
  }

  /** Node ids that hold a copy (whatever their state). */
  holdersOf(chunkId: string): string[] {
    return (this.holders.get(chunkId) ?? []).map((n) => this.nodeIds[n]!);
  }

  /** A snapshot of the chunks a node holds. */
  chunksOn(nodeId: string): string[] {
    const n = this.nodeIndex.get(nodeId);
    return n === undefined ? [] : [...(this.byNode.get(n) ?? [])];
  }

  countOn(nodeId: string): number {
    const n = this.nodeIndex.get(nodeId);
    return n === undefined ? 0 : (this.byNode.get(n)?.size ?? 0);
  }

  /**
   * One batch of a node's full report. On the last batch the node's set is
   * replaced by what it reported, keeping changes made while the report ran.
   * Returns the chunks the report added and dropped. Applying a report of a
   * million chunks takes a while, so it yields to I/O as it goes: changes
   * made meanwhile (commits, deletes, copies) count as made during the
   * report and win; a newer report of the same node stops it (that one
   * replaces the set when it completes).
   */
  async reportBatch(nodeId: string, reportId: string, chunkIds: readonly string[], last: boolean): Promise<ReportApplied> {
    let report = this.reports.get(nodeId);
    if (!report || report.reportId !== reportId) {
      report = { reportId, ids: new Set(), changed: new Set() };
      this.reports.set(nodeId, report);
    }
    for (const id of chunkIds) report.ids.add(id);
    const added: string[] = [];
    const dropped: string[] = [];
    if (!last) return { added, dropped, applied: false };
    const n = this.index(nodeId);
    const held = this.chunksOfIndex(n);
    const pacer = new EventLoopPacer(this.sliceMs);
    const current = () => this.reports.get(nodeId) === report;
    // The report stays registered while it is applied, so changes made in the yields land in `changed`.
    // Its own adds and removes do not: each id is visited once.
    for (const id of report.ids) {
      if (pacer.due()) {
        await pacer.yield();
        if (!current()) return { added, dropped, applied: false };
      }
      if (report.changed.has(id) || held.has(id) || this.withheld(nodeId, id)) continue;
      this.addCopy(n, id);
      added.push(id);
    }
    // Iterating a Set while entries are deleted (here) or added (in the yields, so marked changed) is well defined.
    for (const id of held) {
      if (pacer.due()) {
        await pacer.yield();
        if (!current()) return { added, dropped, applied: false };
      }
      if (report.ids.has(id) || report.changed.has(id)) continue;
      this.removeCopy(n, id);
      dropped.push(id);
    }
    this.reports.delete(nodeId);
    this.reported.add(nodeId);
    return { added, dropped, applied: true };
  }

  /** Whether the node has finished a full report since this coordinator started (or since it re-registered). */
  hasReported(nodeId: string): boolean {
    return this.reported.has(nodeId);
  }

  /** A node re-registered (after a restart or being dead): its next report is needed before its view is trusted again. */
  expectReport(nodeId: string): void {
    // A report still being applied is older than the registration: it must not count as the one expected.
    this.reports.delete(nodeId);
    this.reported.delete(nodeId);
  }

  private index(nodeId: string): number {
    let n = this.nodeIndex.get(nodeId);
    if (n === undefined) {
      n = this.nodeIds.length;
      this.nodeIds.push(nodeId);
      this.nodeIndex.set(nodeId, n);
    }
    return n;
  }

  private addCopy(n: number, chunkId: string): void {
    const list = this.holders.get(chunkId);
    if (!list) this.holders.set(chunkId, [n]);
    else if (!list.includes(n)) list.push(n);
    this.chunksOfIndex(n).add(chunkId);
  }

  private removeCopy(n: number, chunkId: string): void {
    const list = this.holders.get(chunkId);
    if (list) {
      const i = list.indexOf(n);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.holders.delete(chunkId);
    }
    this.byNode.get(n)?.delete(chunkId);
  }

  private chunksOfIndex(n: number): Set<string> {
    let set = this.byNode.get(n);
    if (!set) this.byNode.set(n, (set = new Set()));
    return set;
  }
}
