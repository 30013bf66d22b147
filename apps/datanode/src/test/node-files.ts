// What a datanode process leaves on disk: its chunk files and its JSON log.
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CHUNK_HEADER_SIZE } from '@dfs/chunk-store';
import type { DatanodeProcess } from '@dfs/test-cluster';

/** Where the node keeps chunk `chunkId` (see libs/chunk-store/src/chunk-paths.ts). */
export function chunkFileOf(node: DatanodeProcess, chunkId: string): string {
  return join(node.dataDir, 'chunks', chunkId.slice(0, 2), chunkId.slice(2, 4), `${chunkId}.chunk`);
}

/** Inverts one data byte of a stored chunk in place, behind the node's back: a bad sector. */
export async function flipDataByte(node: DatanodeProcess, chunkId: string, dataOffset: number): Promise<void> {
  const fh = await open(chunkFileOf(node, chunkId), 'r+');
  try {
    const b = Buffer.alloc(1);
    const at = CHUNK_HEADER_SIZE + dataOffset;
    await fh.read(b, 0, 1, at);
    b[0] ^= 0xff;
    await fh.write(b, 0, 1, at);
  } finally {
    await fh.close();
  }
}

/** The node's log lines with message `msg` (pino JSON; a line still being written is skipped). */
export async function logLines(node: DatanodeProcess, msg: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(node.options.logFile, 'utf8').catch(() => '');
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes(msg)) continue;
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed['msg'] === msg) out.push(parsed);
    } catch {
      // not JSON, or cut off mid-write
    }
  }
  return out;
}
