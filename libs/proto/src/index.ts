// The wire contract: generated messages and services (never edit src/gen by
// hand; CI fails when it is stale), the limits and the chunk checksum every
// side must agree on, and the one error type that crosses the wire.
export * from './gen/dfs/v1/common_pb.js';
export * from './gen/dfs/v1/datanode_pb.js';
export * from './gen/dfs/v1/coordinator_pb.js';
export {
  CHUNK_BLOCK_SIZE,
  CHUNK_ID_PATTERN,
  MAX_CHUNK_SIZE,
  MIN_CHUNK_SIZE,
  DEFAULT_CHUNK_SIZE,
  MAX_FRAME_SIZE,
  DEFAULT_FRAME_SIZE,
  HOST_PORT_PATTERN,
  MIN_FRAME_SIZE,
  isChunkId,
  newChunkId,
} from './limits.js';
export { ChunkHasher, blockCount, bytesEqual, chunkSha256, rootOfBlockDigests, toHex, type ChunkDigest } from './chunk-hasher.js';
export { Code, DfsError, callError, errorReason, isDfsError, REASON_METADATA_KEY, type DfsErrorOptions, type DfsErrorReason } from './dfs-error.js';
export { MAX_COMPONENT_BYTES, MAX_PATH_BYTES, ancestorsOf, baseName, isSameOrBelow, normalizePath, parentPath, validatePath } from './dfs-path.js';
