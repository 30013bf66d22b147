// How membership stores a node: the record, and beside it the operator's
// decision (draining, drained), which outlives the node's liveness.
import type { NodeRecord } from './membership-store.js';

/** An operator's decision about a node: a draining node that dies and comes back is draining again. */
export type AdminState = 'draining' | 'drained';

/**
 * A record as stored: `state` is what the node is now (dead included), and
 * `adminState` the operator's decision, kept beside it so that a restarted
 * coordinator still knows that a dead node was draining. The metadata stores
 * keep every field of a node record (they store it whole).
 */
export type StoredNode = Omit<NodeRecord, 'version'> & { adminState?: AdminState };

/**
 * A stored record split into the node's record and the operator's decision.
 * Records written before adminState existed have it only in `state` (a dead
 * one had lost it).
 */
export function fromStore(stored: NodeRecord & { adminState?: AdminState }): { record: NodeRecord; admin: AdminState | undefined } {
  const { adminState, ...record } = stored;
  const admin = adminState ?? (record.state === 'draining' || record.state === 'drained' ? record.state : undefined);
  return { record: { ...record, registeredAt: new Date(record.registeredAt), lastHeartbeat: new Date(record.lastHeartbeat) }, admin };
}
