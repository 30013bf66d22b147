// Cluster membership and chunk placement: which datanodes exist, whether they
// are alive (register, heartbeat, suspect, dead), versioned node updates for
// heartbeats, and where the replicas of a new chunk go. Pure logic over a
// small persistence port; no network.
export { createMembership, Membership } from './membership.js';
export type { HeartbeatResult, MembershipCounts, NodeTransition } from './membership.js';
export type { NodeRegistration } from './node-registration.js';
export type { MembershipOptions } from './membership-options.js';
export { placeChunks, placementReserveBytes, tryPlaceChunk, type PlacementOptions } from './place-chunk.js';
export type { NodeStats } from './node-stats.js';
export type { MembershipStore, NodeRecord, NodeState } from './membership-store.js';
export { createMemoryMembershipStore } from './memory-membership-store.js';
export { StallMeter } from './stall-meter.js';
