// Positional I/O helpers on FileHandle: a single read or write may move fewer
// bytes than asked, so these loop; and directory fsync, which makes a rename
// or unlink durable (the file's own fsync does not cover its directory entry).
import { open, type FileHandle } from 'node:fs/promises';
import { CHUNK_HEADER_SIZE, chunkFileLength, decodeChunkHeader } from './chunk-header.js';
import type { ChunkInfo } from './chunk-store.js';

/** Reads into `buf` from `position` until full or end of file; returns the bytes read. */
export async function readFully(fh: FileHandle, buf: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** Writes all of `data` at `position`. */
export async function writeFully(fh: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

/** Makes the entries of directory `dir` (renames, unlinks, new files) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Reads and checks the header of an open chunk file and that the file has
 * exactly the length the header implies (a truncated or extended file is
 * damaged). Returns the info, or what is wrong.
 */
export async function readChunkFileHeader(fh: FileHandle, chunkId: string): Promise<ChunkInfo | string> {
  const header = Buffer.alloc(CHUNK_HEADER_SIZE);
  const n = await readFully(fh, header, 0);
  const info = decodeChunkHeader(header.subarray(0, n), chunkId);
  if (typeof info === 'string') return info;
  const { size } = await fh.stat();
  const expected = chunkFileLength(info.size);
  if (size !== expected) return `file is ${size} bytes, its header implies ${expected}`;
  return info;
}
