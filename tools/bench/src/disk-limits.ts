import { randomBytes } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { dropPageCache } from './drop-page-cache.js';

const BLOCK = 1024 * 1024;

export interface DiskLimits {
  /** Sequential write of `bytes` in 1 MiB writes, the final fsync included, MB/s (10^6 bytes). */
  writeMBps: number;
  /** Sequential read of the same file in 1 MiB reads, MB/s. */
  readMBps: number;
  /** False when the page cache could not be dropped first: readMBps is then a warm (memory) read. */
  readCold: boolean;
}

/**
 * What the disk under `dir` does for a plain Node program: the ceilings DFS
 * is compared with. Writes a file of `bytes` (from 16 distinct random MiB,
 * so no layer below can compress or deduplicate it away within a block
 * run), fsyncs it, drops the page cache when allowed, reads it back, and
 * removes it. Same calls as TOOLCHAIN.md section 7.
 */
export async function measureDiskLimits(dir: string, bytes: number): Promise<DiskLimits> {
  const path = `${dir}/disk-limit-${process.pid}.bin`;
  const blocks = Array.from({ length: 16 }, () => randomBytes(BLOCK));
  try {
    let fh = await open(path, 'w');
    let started = performance.now();
    try {
      for (let written = 0, i = 0; written < bytes; written += BLOCK, i++) await fh.write(blocks[i % blocks.length]!, 0, Math.min(BLOCK, bytes - written));
      await fh.sync();
    } finally {
      await fh.close();
    }
    const writeSeconds = (performance.now() - started) / 1000;
    const readCold = await dropPageCache();
    fh = await open(path, 'r');
    const buffer = Buffer.allocUnsafe(BLOCK);
    started = performance.now();
    try {
      let read = 0;
      for (let n = 1; n > 0; read += n) n = (await fh.read(buffer, 0, BLOCK, read)).bytesRead;
      if (read !== bytes) throw new Error(`read ${read} bytes of the ${bytes} written`);
    } finally {
      await fh.close();
    }
    const readSeconds = (performance.now() - started) / 1000;
    return { writeMBps: bytes / 1e6 / writeSeconds, readMBps: bytes / 1e6 / readSeconds, readCold };
  } finally {
    await rm(path, { force: true });
  }
}
