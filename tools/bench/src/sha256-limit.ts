import { createHash, randomBytes } from 'node:crypto';

/**
 * SHA-256 throughput of one core on 8 MiB buffers (a default chunk), each
 * hashed on its own, MB/s: the ceiling of any path that checksums every
 * byte on one thread.
 */
export function measureSha256(bytes: number): number {
  const buffer = randomBytes(8 * 1024 * 1024);
  const count = Math.max(1, Math.round(bytes / buffer.length));
  const started = performance.now();
  for (let i = 0; i < count; i++) createHash('sha256').update(buffer).digest();
  return (count * buffer.length) / 1e6 / ((performance.now() - started) / 1000);
}
