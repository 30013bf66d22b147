import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';

/** Writes `size` random bytes to `path`, a MiB at a time; resolves with their SHA-256 (hex). */
export async function writeRandomFile(path: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  for (let left = size; left > 0; ) {
    const piece = randomBytes(Math.min(left, 1024 * 1024));
    hash.update(piece);
    left -= piece.length;
    if (!out.write(piece)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return hash.digest('hex');
}
