// On-disk format v1 of a chunk file:
//
//   [0, 256)                      header (layout below), written at commit
//   [256, 256 + size)             the chunk's data, written as it arrives
//   [256 + size, + 32 × blocks)   trailer: SHA-256 of each 64 KiB block
//
// The header is fixed-size so data can be written at its final offset before
// the size is known, and so the startup scan reads one small piece per file.
// It carries its own checksum: a torn or flipped header is caught without
// reading the data. Integers are big-endian.
//
//   off len  field
//     0   8  magic "DFSCHUNK"
//     8   2  format version (1)
//    10   2  header length (256)
//    12   4  block size (65536)
//    16  16  chunk id (the 32 hex characters as 16 bytes)
//    32   8  size
//    40  32  chunk sha256
//    72   8  created, ms since the epoch
//    80   1  upload id length (0..64)
//    81  64  upload id, UTF-8, zero-padded
//   145  79  reserved, zero
//   224  32  SHA-256 of bytes [0, 224)
import { createHash } from 'node:crypto';
import { CHUNK_BLOCK_SIZE, MAX_CHUNK_SIZE, blockCount, bytesEqual } from '@dfs/proto';
import type { ChunkInfo } from './chunk-store.js';

export const CHUNK_HEADER_SIZE = 256;
export const CHUNK_FORMAT_VERSION = 1;
export const MAX_UPLOAD_ID_BYTES = 64;
/** Bytes per entry of the block-digest trailer. */
export const BLOCK_DIGEST_SIZE = 32;

const MAGIC = Buffer.from('DFSCHUNK', 'latin1');
const CHECKSUM_OFFSET = CHUNK_HEADER_SIZE - 32;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Total length of the file that stores a chunk of `size` data bytes. */
export function chunkFileLength(size: number): number {
  return CHUNK_HEADER_SIZE + size + blockCount(size) * BLOCK_DIGEST_SIZE;
}

/** File offset of the block-digest trailer. */
export function trailerOffset(size: number): number {
  return CHUNK_HEADER_SIZE + size;
}

/** The header of `info`, ready to write at offset 0. Callers validate the fields first. */
export function encodeChunkHeader(info: ChunkInfo): Buffer {
  const h = Buffer.alloc(CHUNK_HEADER_SIZE);
  MAGIC.copy(h, 0);
  h.writeUInt16BE(CHUNK_FORMAT_VERSION, 8);
  h.writeUInt16BE(CHUNK_HEADER_SIZE, 10);
  h.writeUInt32BE(CHUNK_BLOCK_SIZE, 12);
  h.write(info.chunkId, 16, 16, 'hex');
  h.writeBigUInt64BE(BigInt(info.size), 32);
  h.set(info.sha256, 40);
  h.writeBigUInt64BE(BigInt(info.createdAt.getTime()), 72);
  const upload = Buffer.from(info.uploadId, 'utf8');
  if (upload.length > MAX_UPLOAD_ID_BYTES) throw new RangeError('upload id longer than 64 bytes');
  h.writeUInt8(upload.length, 80);
  upload.copy(h, 81);
  h.set(headerChecksum(h), CHECKSUM_OFFSET);
  return h;
}

/**
 * Parses and checks a header read from the file of `expectedId`. Returns the
 * chunk's info, or a short description of what is wrong (the caller
 * quarantines the file). Does not check the file's length; see
 * chunkFileLength.
 */
export function decodeChunkHeader(bytes: Uint8Array, expectedId: string): ChunkInfo | string {
  if (bytes.length < CHUNK_HEADER_SIZE) return `header truncated to ${bytes.length} bytes`;
  const h = Buffer.from(bytes.buffer, bytes.byteOffset, CHUNK_HEADER_SIZE);
  if (!h.subarray(0, 8).equals(MAGIC)) return 'bad magic: not a chunk file';
  // The checksum comes before the other fields so a flipped bit anywhere is
  // reported as such, not as whatever field it happened to land in.
  if (!bytesEqual(headerChecksum(h), h.subarray(CHECKSUM_OFFSET, CHUNK_HEADER_SIZE))) return 'header checksum mismatch';
  const version = h.readUInt16BE(8);
  if (version !== CHUNK_FORMAT_VERSION) return `unsupported format version ${version}`;
  if (h.readUInt16BE(10) !== CHUNK_HEADER_SIZE) return `bad header length ${h.readUInt16BE(10)}`;
  if (h.readUInt32BE(12) !== CHUNK_BLOCK_SIZE) return `bad block size ${h.readUInt32BE(12)}`;
  const chunkId = h.toString('hex', 16, 32);
  if (chunkId !== expectedId) return `header names chunk ${chunkId}`;
  const size = Number(h.readBigUInt64BE(32));
  if (size < 1 || size > MAX_CHUNK_SIZE) return `bad size ${size}`;
  const uploadLength = h.readUInt8(80);
  if (uploadLength > MAX_UPLOAD_ID_BYTES) return `bad upload id length ${uploadLength}`;
  let uploadId: string;
  try {
    uploadId = utf8.decode(h.subarray(81, 81 + uploadLength));
  } catch {
    return 'upload id is not UTF-8';
  }
  return {
    chunkId,
    size,
    sha256: new Uint8Array(h.subarray(40, 72)),
    createdAt: new Date(Number(h.readBigUInt64BE(72))),
    uploadId,
    formatVersion: version,
  };
}

function headerChecksum(h: Buffer): Uint8Array {
  return createHash('sha256').update(h.subarray(0, CHECKSUM_OFFSET)).digest();
}
