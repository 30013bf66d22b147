// Test helpers: the same bytes as each kind of upload source, and sinks.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { UploadSource } from '../index.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;

export type SourceKind = 'path' | 'bytes' | 'readable' | 'iterable';
export const SOURCE_KINDS: SourceKind[] = ['path', 'bytes', 'readable', 'iterable'];

/** A scratch directory for local files, removed by cleanup(). */
export async function scratchDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'dfs-sdk-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** `data` as an upload source of `kind`; streams come in uneven pieces so chunk cuts fall mid-piece. */
export async function sourceOf(kind: SourceKind, data: Buffer, dir: string): Promise<UploadSource> {
  switch (kind) {
    case 'path': {
      const file = join(dir, `source-${Math.random().toString(36).slice(2)}.bin`);
      await writeFile(file, data);
      return file;
    }
    case 'bytes':
      return data;
    case 'readable':
      return Readable.from(pieces(data), { objectMode: false });
    case 'iterable':
      return (async function* () {
        yield* pieces(data);
      })();
  }
}

function* pieces(data: Buffer): Generator<Buffer> {
  const sizes = [1, 1000, 33 * KiB, 64 * KiB + 3];
  for (let pos = 0, i = 0; pos < data.length; i++) {
    const n = sizes[i % sizes.length]!;
    yield data.subarray(pos, pos + n);
    pos += n;
  }
}

/** A Writable that collects what it is given (with a small buffer, so back-pressure applies). */
export function collector(): { sink: Writable; bytes: () => Buffer } {
  const parts: Buffer[] = [];
  const sink = new Writable({
    highWaterMark: 16 * KiB,
    write(chunk: Buffer, _encoding, done) {
      parts.push(Buffer.from(chunk));
      setImmediate(done);
    },
  });
  return { sink, bytes: () => Buffer.concat(parts) };
}

export async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of stream) parts.push(Buffer.from(p as Uint8Array));
  return Buffer.concat(parts);
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
