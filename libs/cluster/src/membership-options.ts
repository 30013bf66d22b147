import { Code, DfsError } from '@dfs/proto';
import type { MembershipStore } from './membership-store.js';

export interface MembershipOptions {
  /** Where node records survive a coordinator restart (a MetadataStore fits). */
  store: MembershipStore;
  /** Current time in ms since the epoch. Default `Date.now`; tests pass a fake. */
  clock: () => number;
  /** How often datanodes are told to heartbeat. Default 2,000 ms. */
  heartbeatIntervalMs: number;
  /** A healthy node silent this long becomes suspect (no new chunks). Default 6,000 ms. */
  suspectAfterMs: number;
  /** A node silent this long becomes dead (its replicas stop counting). Default 30,000 ms. */
  deadAfterMs: number;
  /**
   * Stats and lastHeartbeat live in memory; a node's record is written back at
   * most this often when nothing else changed. `Infinity` writes them only with
   * membership changes. Default 30,000 ms.
   */
  statsPersistIntervalMs: number;
  /** Called when writing a record fails in the background; the write is retried on the next tick. Default: ignore. */
  onPersistError: (error: DfsError, nodeId: string) => void;
  /**
   * Milliseconds this process could not receive heartbeats since the last
   * call (its event loop was blocked: see StallMeter). Not counted as the
   * nodes' silence. Default: none measured.
   */
  stalledMs: () => number;
}

export type ResolvedMembershipOptions = MembershipOptions;

export function resolveMembershipOptions(options: Partial<MembershipOptions> & Pick<MembershipOptions, 'store'>): ResolvedMembershipOptions {
  if (typeof options.store?.putNode !== 'function') {
    throw configError('membership needs a store with putNode/getNode/listNodes/nodesChangedSince: pass the metadata store');
  }
  const resolved: ResolvedMembershipOptions = {
    store: options.store,
    clock: options.clock ?? Date.now,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 2_000,
    suspectAfterMs: options.suspectAfterMs ?? 6_000,
    deadAfterMs: options.deadAfterMs ?? 30_000,
    statsPersistIntervalMs: options.statsPersistIntervalMs ?? 30_000,
    onPersistError: options.onPersistError ?? (() => undefined),
    stalledMs: options.stalledMs ?? (() => 0),
  };
  for (const key of ['heartbeatIntervalMs', 'suspectAfterMs', 'deadAfterMs'] as const) {
    const value = resolved[key];
    if (!Number.isSafeInteger(value) || value <= 0) throw configError(`membership ${key} must be a positive whole number of ms, got ${value}`);
  }
  const { heartbeatIntervalMs, suspectAfterMs, deadAfterMs, statsPersistIntervalMs } = resolved;
  // A node must be able to miss a beat before it is suspected, and suspicion
  // must come before death, or the state machine skips states.
  if (!(heartbeatIntervalMs < suspectAfterMs && suspectAfterMs < deadAfterMs)) {
    throw configError(
      `membership timeouts must satisfy heartbeatIntervalMs < suspectAfterMs < deadAfterMs, got ${heartbeatIntervalMs} / ${suspectAfterMs} / ${deadAfterMs}: ` +
        'make suspectAfterMs a few heartbeat intervals and deadAfterMs longer still',
    );
  }
  if (!(statsPersistIntervalMs >= 0)) {
    throw configError(`membership statsPersistIntervalMs must be >= 0 ms (Infinity to only persist membership changes), got ${statsPersistIntervalMs}`);
  }
  return resolved;
}

function configError(message: string): DfsError {
  return new DfsError(Code.InvalidArgument, message, { reason: 'CONFIG' });
}
