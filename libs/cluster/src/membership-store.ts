// The narrow slice of the metadata store that membership needs. Membership
// depends on this port, not on the whole MetadataStore, so it can be tested
// with an in-memory table; every MetadataStore (memory, embedded, etcd) is one.
import type { MetadataStore, NodeRecord, NodeState } from '@dfs/metadata';

export type { NodeRecord, NodeState };

export type MembershipStore = Pick<MetadataStore, 'putNode' | 'getNode' | 'listNodes' | 'nodesChangedSince'>;
