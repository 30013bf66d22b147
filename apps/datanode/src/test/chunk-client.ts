// Test helpers: drive datanodes through the real protocol.
import { randomBytes } from 'node:crypto';
import type { ClientPool } from '@dfs/client-pool';
import { DatanodeService, callError, newChunkId, type Replica } from '@dfs/proto';
import { frameBytes, readChunkStream, writeChunkStream, type WriteChunkStreamOptions } from '@dfs/streamer';
import { filesUnder, type DatanodeProcess } from '@dfs/test-cluster';

export const MiB = 1024 * 1024;

export function replicaOf(node: DatanodeProcess): Replica {
  return { nodeId: node.ready!.nodeId, address: node.ready!.address } as Replica;
}

/** Yields `data` in 1 MiB frames, calling `between(bytesSent)` before each frame after the first. */
export async function* framesOf(data: Uint8Array, between?: (sent: number) => Promise<void> | void, frameSize = MiB): AsyncGenerator<Uint8Array> {
  let sent = 0;
  for await (const f of frameBytes(
    (async function* () {
      yield data;
    })(),
    frameSize,
  )) {
    if (sent > 0 && between) await between(sent);
    yield f;
    sent += f.length;
  }
}

export function writeTo(
  pool: ClientPool,
  primary: DatanodeProcess,
  replicas: DatanodeProcess[],
  frames: AsyncIterable<Uint8Array>,
  extra: Partial<WriteChunkStreamOptions> = {},
) {
  return writeChunkStream(pool.client(DatanodeService, primary.ready!.address), {
    chunkId: extra.chunkId ?? newChunkId(),
    pipeline: replicas.map(replicaOf),
    frames,
    idleTimeoutMs: 10_000,
    ...extra,
  });
}

export async function readFrom(
  pool: ClientPool,
  node: DatanodeProcess,
  chunkId: string,
  range: { offset?: number; length?: number; chunkSize?: number } = {},
): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of readChunkStream(pool.client(DatanodeService, node.ready!.address), { chunkId, ...range, idleTimeoutMs: 10_000 })) parts.push(p);
  return Buffer.concat(parts);
}

/**
 * The node's answer to exactly this range, frames' bytes concatenated, with no
 * client-side checks (readChunkStream widens ranges to whole blocks): for
 * tests of the node's own validation.
 */
export async function readRaw(pool: ClientPool, node: DatanodeProcess, chunkId: string, range: { offset: number; length?: number }): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  const req = { chunkId, offset: BigInt(range.offset), length: BigInt(range.length ?? 0) };
  try {
    for await (const res of pool.client(DatanodeService, node.ready!.address).readChunk(req, { timeoutMs: 10_000 })) {
      if (res.message.case === 'frame') parts.push(res.message.value.data);
    }
  } catch (err) {
    throw callError(err, undefined); // code and reason as the node sent them
  }
  return Buffer.concat(parts);
}

/** Files in the node's data dir that belong to `chunkId`, or are temp files. */
export async function chunkTraces(node: DatanodeProcess, chunkId?: string): Promise<string[]> {
  return (await filesUnder(node.dataDir)).filter((f) => f.startsWith('tmp/') || (chunkId !== undefined && f.includes(chunkId)));
}

export const random = (n: number) => randomBytes(n);
