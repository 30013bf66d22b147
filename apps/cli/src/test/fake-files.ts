import type { FileInfo } from '@dfs/sdk';

const CREATED = new Date('2025-01-31T12:00:00Z');

/** A file's info as the SDK returns it, for unit tests. */
export function fakeFile(path: string, size: number, more: Partial<FileInfo> = {}): FileInfo {
  return { path, isDirectory: false, size, sha256: 'ab'.repeat(32), chunkSize: 8 * 1024 * 1024, replication: 3, chunkCount: Math.max(1, Math.ceil(size / (8 * 1024 * 1024))), createdAt: CREATED, fileId: `id-${path}`, ...more };
}

/** A directory's info as the SDK returns it. */
export function fakeDirectory(path: string): FileInfo {
  return { path, isDirectory: true, size: 0, sha256: '', chunkSize: 0, replication: 0, chunkCount: 0, fileId: '' };
}

/** An async iterable over `items`, as DfsClient.list returns. */
export async function* listOf<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}
