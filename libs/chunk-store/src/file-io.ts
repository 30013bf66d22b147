// Positional I/O helpers on FileHandle and on plain file descriptors: a
// single read or write may move fewer bytes than asked, so these loop; and
// directory fsync, which makes a rename or unlink durable (the file's own
// fsync does not cover its directory entry). The descriptor helpers use the
// callback API: each call is one round trip to libuv's thread pool, and a
// FileHandle promise costs about twice the CPU of a callback per call, which
// on the write path of small chunks is a good part of a datanode's work.
import { access, close, constants, fsync, open as openFd, writev } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
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

/** Makes the entries of directory `dir` (renames, unlinks, new files) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fd = await openFile(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fsyncFile(fd);
  } finally {
    await closeFile(fd);
  }
}

/** Whether `path` exists: one cheap call for the usual answer, no. Other errors are thrown. */
export function pathExists(path: string): Promise<boolean> {
  return new Promise((resolve, reject) =>
    access(path, (err) => {
      if (!err) resolve(true);
      else if (err.code === 'ENOENT') resolve(false);
      else reject(err);
    }),
  );
}

/** open(2) through the thread pool; `flags` as fs.open takes them ('wx', O_RDONLY …). */
export function openFile(path: string, flags: string | number): Promise<number> {
  return new Promise((resolve, reject) => openFd(path, flags, 0o666, (err, fd) => (err ? reject(err) : resolve(fd))));
}

export function fsyncFile(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
}

export function closeFile(fd: number): Promise<void> {
  return new Promise((resolve, reject) => close(fd, (err) => (err ? reject(err) : resolve())));
}

/** Writes all of `parts`, back to back, from `position` of `fd`: one system call when the kernel takes it all. */
export async function writeAll(fd: number, parts: readonly Uint8Array[], position: number): Promise<void> {
  let rest = parts.filter((p) => p.length > 0);
  while (rest.length > 0) {
    const written = await new Promise<number>((resolve, reject) => writev(fd, rest as Uint8Array[], position, (err, n) => (err ? reject(err) : resolve(n))));
    position += written;
    rest = skipBytes(rest, written);
  }
}

/** `parts` without their first `n` bytes (after a short write). */
function skipBytes(parts: readonly Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const p of parts) {
    if (n >= p.length) {
      n -= p.length;
      continue;
    }
    out.push(n > 0 ? p.subarray(n) : p);
    n = 0;
  }
  return out;
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
