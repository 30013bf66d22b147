import { Code, DEFAULT_CHUNK_SIZE, DfsError, MAX_CHUNK_SIZE, isChunkId } from '@dfs/proto';
import { maxChunksPerCommit } from './request-limits.js';

/** Smallest chunk size a file may use (the data path itself allows 1 B chunks). */
export const MIN_FILE_CHUNK_SIZE = 1024;
/** Most chunks one file may have at any replication; its commit request bounds it further (maxChunksPerFile). */
export const MAX_CHUNKS_PER_FILE = 1_000_000;

/** The chunk size an upload asks for (0 = the coordinator's default, 8 MiB unless configured), checked. */
export function resolveChunkSize(requested: bigint, defaultChunkSize = DEFAULT_CHUNK_SIZE): number {
  if (requested === 0n) return defaultChunkSize;
  if (requested < BigInt(MIN_FILE_CHUNK_SIZE) || requested > BigInt(MAX_CHUNK_SIZE)) {
    throw new DfsError(Code.InvalidArgument, `chunk size ${requested} is outside ${MIN_FILE_CHUNK_SIZE} B..${MAX_CHUNK_SIZE} B (1 KiB to 64 MiB); send 0 for the default (${defaultChunkSize} B)`);
  }
  return Number(requested);
}

/** The replication an upload asks for (0 = the default), checked against the nodes that can take chunks. */
export function resolveReplication(requested: number, defaultReplication: number, liveNodes: number): number {
  const replication = requested === 0 ? defaultReplication : requested;
  if (!Number.isInteger(replication) || replication < 1 || replication > 16) {
    throw new DfsError(Code.InvalidArgument, `replication ${requested} is outside 1..16; send 0 for the default (${defaultReplication})`);
  }
  if (replication > liveNodes) {
    throw new DfsError(
      Code.FailedPrecondition,
      `replication ${replication} needs ${replication} live datanodes but ${liveNodes} ${liveNodes === 1 ? 'is' : 'are'} live: start more datanodes or ask for fewer copies`,
    );
  }
  return replication;
}

/** How many chunks a file of `size` bytes has (0 for an empty file). */
export function chunkCountFor(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize);
}

/**
 * Most chunks a file of `replication` copies may have: MAX_CHUNKS_PER_FILE,
 * or fewer when its commit could not carry them all (maxChunksPerCommit).
 */
export function maxChunksPerFile(replication: number): number {
  return Math.min(MAX_CHUNKS_PER_FILE, maxChunksPerCommit(replication));
}

/** A declared file size, checked: not negative, and not more chunks than a file of `replication` copies may have. */
export function resolveFileSize(size: bigint | undefined, chunkSize: number, replication: number): number | undefined {
  if (size === undefined) return undefined;
  if (size < 0n) throw new DfsError(Code.InvalidArgument, `file size ${size} is negative: send the file's length in bytes`);
  const max = maxChunksPerFile(replication);
  if (size > BigInt(max) * BigInt(chunkSize)) {
    throw new DfsError(Code.InvalidArgument, `a file of ${size} bytes would need more than ${max} chunks of ${chunkSize} B (the most one file of ${replication} copies may have): use larger chunks (up to 64 MiB)`);
  }
  return Number(size);
}

export interface ReportedChunk {
  chunkId: string;
  index: number;
  size: number;
  sha256: Uint8Array;
  replicas: string[];
}

export interface PlannedChunk {
  index: number;
  chunkId: string;
  /** The nodes the index was (last) placed on: the only ones that can hold the chunk. */
  nodeIds: string[];
}

/**
 * The checks a commit must pass before a file becomes visible: every planned
 * chunk reported exactly once with its planned id, sizes that add up (all
 * chunks full but the last), a 32-byte checksum, and enough durable replicas
 * on distinct nodes, all of them nodes the chunk was placed on. Returns the
 * chunks in index order. `size` must already be checked (resolveFileSize).
 */
export function checkCommit(args: {
  planned: PlannedChunk[];
  reported: ReportedChunk[];
  declaredSize: number | undefined;
  size: number;
  fileSha256: Uint8Array;
  chunkSize: number;
  minReplicas: number;
}): ReportedChunk[] {
  const { planned, reported, declaredSize, size, fileSha256, chunkSize, minReplicas } = args;
  const bad = (message: string) => new DfsError(Code.InvalidArgument, `commit refused: ${message}`);
  if (declaredSize !== undefined && size !== declaredSize) throw bad(`the upload declared ${declaredSize} bytes but the commit says ${size}`);
  if (fileSha256.length !== 32) throw bad(`file_sha256 must be 32 bytes, got ${fileSha256.length}`);
  const count = chunkCountFor(size, chunkSize);
  if (reported.length !== count) throw bad(`a file of ${size} bytes has ${count} chunks of ${chunkSize} B; ${reported.length} were reported`);
  const plannedByIndex = new Map(planned.map((p) => [p.index, p]));
  const sorted = [...reported].sort((a, b) => a.index - b.index);
  sorted.forEach((chunk, i) => {
    if (chunk.index !== i) throw bad(`chunk indexes must be 0..${count - 1} once each; index ${i} is ${chunk.index < i ? 'repeated' : 'missing'}`);
    if (!isChunkId(chunk.chunkId)) throw bad(`chunk ${i} has a malformed id`);
    const placed = plannedByIndex.get(i);
    if (placed === undefined) throw bad(`chunk ${i} was never placed: allocate it first`);
    const want = placed.chunkId;
    if (want !== chunk.chunkId) throw bad(`chunk ${i} is ${chunk.chunkId} but the upload placed ${want} there (a chunk re-placed after a failure must be reported under its new id)`);
    const wantSize = i < count - 1 ? chunkSize : size - chunkSize * (count - 1);
    if (chunk.size !== wantSize) throw bad(`chunk ${i} has ${chunk.size} bytes; it must have ${wantSize}`);
    if (chunk.sha256.length !== 32) throw bad(`chunk ${i} has a ${chunk.sha256.length}-byte sha256; send the 32-byte chunk checksum`);
    const distinct = new Set(chunk.replicas);
    if (distinct.size !== chunk.replicas.length) throw bad(`chunk ${i} names a replica twice`);
    // The replicas become the chunk's recorded locations: a node it was never sent to
    // would count towards its durability and be read from, while the chunk may be nowhere.
    const unknown = chunk.replicas.find((nodeId) => !placed.nodeIds.includes(nodeId));
    if (unknown !== undefined) {
      throw bad(`chunk ${i} names replica ${JSON.stringify(unknown)}, which it was not placed on (${placed.nodeIds.join(', ')}); report only the placed nodes that acknowledged the chunk durable`);
    }
    if (distinct.size < minReplicas) {
      throw new DfsError(Code.FailedPrecondition, `commit refused: chunk ${i} is durable on ${distinct.size} node(s); at least ${minReplicas} are required — write it again`);
    }
  });
  return sorted;
}
