import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';

/**
 * Flushes dirty pages (sync) and drops the page cache, so that the next read
 * comes from the disk: needs root (EACCES/EPERM otherwise) and a writable
 * /proc/sys (EROFS in most containers). False when it was not allowed: reads
 * after that are warm, and the caller must say so.
 */
export async function dropPageCache(): Promise<boolean> {
  spawnSync('sync');
  return writeFile('/proc/sys/vm/drop_caches', '3').then(
    () => true,
    () => false,
  );
}
