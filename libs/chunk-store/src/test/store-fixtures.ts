// Shared by the specs: a throwaway store directory and small helpers to
// write, read and inspect chunks.
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { chunkSha256, isDfsError, newChunkId, type DfsError } from '@dfs/proto';
import type { ChunkInfo, ChunkReader, ChunkStore, ChunkStoreOptions, ReadRange } from '../chunk-store.js';
import { createChunkStore } from '../create-chunk-store.js';

/** A fresh temp directory per test, removed (with any store in it closed) afterwards. */
export function useTempDir(): { readonly dir: string; open(options?: Partial<ChunkStoreOptions>): Promise<ChunkStore> } {
  let dir = '';
  const stores: ChunkStore[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chunk-store-'));
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    async open(options) {
      const store = await createChunkStore(dir, options);
      stores.push(store);
      return store;
    },
  };
}

/** Writes `data` as a new chunk in pieces of `piece` bytes and commits it. */
export async function putChunk(
  store: ChunkStore,
  data: Uint8Array,
  init: { chunkId?: string; uploadId?: string; piece?: number } = {},
): Promise<ChunkInfo> {
  const writer = await store.createWriter({
    chunkId: init.chunkId ?? newChunkId(),
    size: data.length,
    sha256: chunkSha256(data),
    uploadId: init.uploadId,
  });
  const piece = init.piece ?? 256 * 1024;
  for (let i = 0; i < data.length; i += piece) await writer.write(data.subarray(i, i + piece));
  return writer.commit();
}

/** Where the store in `dir` keeps chunk `chunkId`. */
export function chunkFilePath(dir: string, chunkId: string): string {
  return join(dir, 'chunks', chunkId.slice(0, 2), chunkId.slice(2, 4), `${chunkId}.chunk`);
}

/** Inverts one byte of a file in place (at a file offset): damage as a bad disk would do it. */
export async function flipByte(path: string, fileOffset: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, fileOffset);
    b[0] ^= 0xff;
    await fh.write(b, 0, 1, fileOffset);
  } finally {
    await fh.close();
  }
}

/** All bytes of a range read, and the pieces they came in. */
export async function readRange(reader: ChunkReader, range: ReadRange): Promise<{ data: Buffer; pieces: number[] }> {
  const parts: Uint8Array[] = [];
  for await (const p of reader.read(range)) parts.push(p);
  return { data: Buffer.concat(parts), pieces: parts.map((p) => p.length) };
}

/** Every file under `dir`, relative, sorted: to assert what is (not) on disk. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** The DfsError a promise rejects with (fails the test if it resolves or throws something else). */
export async function rejection(p: Promise<unknown>): Promise<DfsError> {
  try {
    await p;
  } catch (err) {
    if (isDfsError(err)) return err;
    throw new Error(`expected a DfsError, got ${String(err)}`);
  }
  throw new Error('expected a rejection');
}

export const random = (n: number): Buffer => randomBytes(n);
