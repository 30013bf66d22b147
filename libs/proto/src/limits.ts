// Limits that are part of the wire contract: every side must agree on them.
import { randomBytes } from 'node:crypto';

/** Chunk ids: 32 lowercase hex characters (128 random bits). */
export const CHUNK_ID_PATTERN = /^[0-9a-f]{32}$/;

/** Block size of the chunk checksum (see common.proto). Fixed by format version 1. */
export const CHUNK_BLOCK_SIZE = 64 * 1024;

export const MIN_CHUNK_SIZE = 1;
export const MAX_CHUNK_SIZE = 64 * 1024 * 1024;
export const DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;

/** True for a well-formed chunk id; checked before any filesystem access. */
export function isChunkId(value: unknown): value is string {
  return typeof value === 'string' && CHUNK_ID_PATTERN.test(value);
}

/** A node address as peers dial it: host:port (no scheme, no path). */
export const HOST_PORT_PATTERN = /^[^\s/]+:\d{1,5}$/;

/** Frames of chunk streams: 1 MiB by default, 4 MiB at most. */
export const MIN_FRAME_SIZE = 16 * 1024;
export const DEFAULT_FRAME_SIZE = 1024 * 1024;
export const MAX_FRAME_SIZE = 4 * 1024 * 1024;

/** A fresh random chunk id. */
export function newChunkId(): string {
  return randomBytes(16).toString('hex');
}
