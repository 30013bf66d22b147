import { join } from 'node:path';
import { Code, newChunkId } from '@dfs/proto';
import { chunkIdsIn, eventually, filesUnder, type DatanodeProcess } from '@dfs/test-cluster';
import { MiB, framesOf, random, readFrom, writeTo } from './test/chunk-client.js';
import { useDatanodes } from './test/datanode-fixture.js';
import { flipDataByte, logLines } from './test/node-files.js';

// The scrubber and quarantine in real datanode processes: damage is made on
// disk behind the node's back, found, moved out of service and reported in
// heartbeats to a coordinator stand-in.
jest.setTimeout(60_000);

const dn = useDatanodes();

async function put(node: DatanodeProcess, data: Buffer, chunkId = newChunkId()): Promise<string> {
  await writeTo(dn.pool, node, [], framesOf(data), { chunkId });
  return chunkId;
}

async function quarantined(node: DatanodeProcess): Promise<string[]> {
  return filesUnder(join(node.dataDir, 'quarantine'));
}

/** Rounds the node has finished so far: pass to roundVerifying to wait for a later one. */
async function roundsSoFar(node: DatanodeProcess): Promise<number> {
  return (await logLines(node, 'scrub round finished')).length;
}

/** Waits for a finished scrub round (after the first `skip`) that verified `verified` chunks; returns its summary. */
async function roundVerifying(node: DatanodeProcess, verified: number, skip = 0): Promise<Record<string, unknown>> {
  let found: Record<string, unknown> | undefined;
  await eventually(async () => {
    found = (await logLines(node, 'scrub round finished')).slice(skip).find((r) => r['verified'] === verified);
    return found !== undefined;
  }, 20_000);
  if (!found) throw new Error(`no scrub round verified ${verified} chunks; log ${node.options.logFile}`);
  return found;
}

describe('the scrubber', () => {
  let node: DatanodeProcess;
  const intact = new Map<string, Buffer>();

  beforeAll(async () => {
    node = await dn.start('dn-scrub', { DATANODE_SCRUB_RATE: '64MiB', DATANODE_SCRUB_INTERVAL: '100ms' });
  });

  it('verifies intact chunks round after round without a false positive', async () => {
    for (const size of [1, 100_000, 3 * MiB]) {
      const data = random(size);
      intact.set(await put(node, data), data);
    }
    await roundVerifying(node, 3);
    const rounds = await logLines(node, 'scrub round finished');
    expect(rounds.every((r) => r['corrupt'] === 0 && r['unreadable'] === 0)).toBe(true);
    expect(dn.coordinator.corruptChunkIds()).toEqual([]);
    expect(await quarantined(node)).toEqual([]);
    for (const [id, data] of intact) expect((await readFrom(dn.pool, node, id)).equals(data)).toBe(true);
  });

  it('finds a flipped byte, quarantines the chunk, reports it, stops serving it, and takes the chunk again', async () => {
    const data = random(2 * MiB);
    const chunkId = await put(node, data);
    const before = await dn.stats(node);
    await flipDataByte(node, chunkId, 1_500_000);

    expect(await eventually(async () => dn.coordinator.corruptChunkIds().includes(chunkId), 20_000)).toBe(true);
    expect(await chunkIdsIn(node.dataDir)).not.toContain(chunkId);
    expect((await quarantined(node)).filter((f) => f.startsWith(chunkId))).toHaveLength(1);
    await expect(readFrom(dn.pool, node, chunkId)).rejects.toMatchObject({ code: Code.NotFound });
    const after = await dn.stats(node);
    expect(after.chunkCount).toBe(before.chunkCount - 1n);
    expect(after.usedBytes).toBeLessThan(before.usedBytes);

    // Not in the next full chunk report; the intact ones are.
    const reports = dn.coordinator.reports.length;
    dn.coordinator.nextAnswer = { reportChunks: true };
    expect(await eventually(async () => dn.coordinator.reports.length > reports)).toBe(true);
    const reported = dn.coordinator.reports.slice(reports).flat();
    expect(reported).not.toContain(chunkId);
    expect(reported).toEqual(expect.arrayContaining([...intact.keys()]));

    // Re-replication writes a good copy under the same id; it is served and scrubbed clean.
    await put(node, data, chunkId);
    expect((await readFrom(dn.pool, node, chunkId)).equals(data)).toBe(true);
    await roundVerifying(node, intact.size + 1, await roundsSoFar(node));
    expect(dn.coordinator.corruptChunkIds().filter((id) => id === chunkId)).toHaveLength(1);
  });
});

it('reads no faster than DATANODE_SCRUB_RATE', async () => {
  const rate = 8 * MiB;
  const node = await dn.start('dn-scrub-rate', { DATANODE_SCRUB_RATE: '8MiB', DATANODE_SCRUB_INTERVAL: '100ms' });
  for (let i = 0; i < 3; i++) await put(node, random(4 * MiB));
  const round = await roundVerifying(node, 3);
  const bytes = round['bytes'] as number;
  expect(bytes).toBeGreaterThan(12 * MiB);
  // An upper bound only: a loaded machine makes a round slower, never faster.
  expect((bytes * 1000) / (round['elapsedMs'] as number)).toBeLessThanOrEqual(1.5 * rate);
  await node.stop();
});

it('quarantines and reports a chunk that a ReadChunk finds corrupt (scrubber off)', async () => {
  const node = await dn.start('dn-read-corrupt', { DATANODE_SCRUB_RATE: '0' });
  expect(await eventually(async () => (await logLines(node, 'scrubber off (scrub.bytesPerSecond is 0)')).length === 1)).toBe(true);
  const chunkId = await put(node, random(MiB));
  const before = await dn.stats(node);
  await flipDataByte(node, chunkId, 70_000); // block 1
  await expect(readFrom(dn.pool, node, chunkId)).rejects.toMatchObject({ code: Code.DataLoss, reason: 'CORRUPT_CHUNK' });
  expect(await eventually(async () => dn.coordinator.corruptChunkIds().includes(chunkId))).toBe(true);
  expect((await quarantined(node)).filter((f) => f.startsWith(chunkId))).toHaveLength(1);
  // Every later read is NotFound: the client goes to the next replica.
  await expect(readFrom(dn.pool, node, chunkId)).rejects.toMatchObject({ code: Code.NotFound });
  expect((await dn.stats(node)).chunkCount).toBe(before.chunkCount - 1n);
  await node.stop();
});

it('cuts a running scrub round short at shutdown', async () => {
  // 16 MiB at 1 MiB/s: a round takes 16 s unless shutdown cuts it short.
  const node = await dn.start('dn-scrub-stop', { DATANODE_SCRUB_RATE: '1MiB', DATANODE_SCRUB_INTERVAL: '1h' });
  await put(node, random(16 * MiB));
  await node.restart(); // the first round after the start includes the chunk
  expect(await eventually(async () => (await logLines(node, 'scrub round started')).length === 2)).toBe(true);
  // The round is cut short, not finished (no wall-clock bound: a loaded CI machine makes those flaky).
  expect(await node.stop()).toEqual({ code: 0, signal: null });
  const stopped = await logLines(node, 'scrub round stopped');
  expect(stopped).toHaveLength(1);
  expect(stopped[0]).toMatchObject({ complete: false, verified: 0, corrupt: 0 });
  expect(stopped[0]!['bytes']).toBeLessThan(16 * MiB);
});
