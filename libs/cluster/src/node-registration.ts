// What a datanode says about itself when it registers, and its checks.
import { Code, DfsError } from '@dfs/proto';
import type { NodeStats } from './node-stats.js';

/** What a datanode says about itself when it starts. */
export interface NodeRegistration {
  /** Persistent id the node minted on first start. */
  nodeId: string;
  /** Where peers and clients reach it (host:port). */
  address: string;
  /** Failure domain (rack, availability zone); '' when unlabelled. */
  zone?: string;
  stats: NodeStats;
}

export function checkRegistration(registration: NodeRegistration): { nodeId: string; address: string; zone: string } {
  const { nodeId, address, zone = '' } = registration ?? ({} as NodeRegistration);
  if (typeof nodeId !== 'string' || nodeId.trim() === '' || nodeId.length > 256) {
    throw new DfsError(Code.InvalidArgument, `a node must register with a non-empty id of at most 256 characters, got ${JSON.stringify(nodeId)}`);
  }
  if (typeof address !== 'string' || address.trim() === '') {
    throw new DfsError(Code.InvalidArgument, `node ${nodeId} must register with the address peers reach it at (host:port), got ${JSON.stringify(address)}`);
  }
  if (typeof zone !== 'string') {
    throw new DfsError(Code.InvalidArgument, `node ${nodeId} sent a zone that is not a string: set the datanode's zone label, or leave it empty`);
  }
  return { nodeId, address, zone };
}
