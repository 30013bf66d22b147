import { createServer, type AddressInfo, type Server } from 'node:net';
import { Code, newChunkId, type CopyOutcome } from '@dfs/proto';
import { chunkIdsIn, eventually, type DatanodeProcess } from '@dfs/test-cluster';
import { MiB, framesOf, random, readFrom, writeTo } from './test/chunk-client.js';
import { useDatanodes } from './test/datanode-fixture.js';
import { copyCommand, freePort } from './test/fake-coordinator.js';
import { flipDataByte } from './test/node-files.js';

// Copy commands from heartbeats, run by a real datanode process: each ends in
// a copy outcome sent back with a later heartbeat, and at most copy.maxActive
// run at once.
jest.setTimeout(60_000);

const dn = useDatanodes();
let source: DatanodeProcess;
let target: DatanodeProcess;
let blackhole: Server;

beforeAll(async () => {
  // The scrubber stays off here: the test damaging a chunk wants the copy to find it.
  source = await dn.start('dn-copy-source', { DATANODE_SCRUB_RATE: '0', DATANODE_REPLICA_IDLE_TIMEOUT: '1s' });
  target = await dn.start('dn-copy-target', {}, false);
  blackhole = createServer(() => undefined); // accepts TCP, never speaks HTTP/2
  await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
});

afterAll(() => {
  blackhole?.close();
});

async function put(node: DatanodeProcess, data: Buffer): Promise<string> {
  const chunkId = newChunkId();
  await writeTo(dn.pool, node, [], framesOf(data), { chunkId });
  return chunkId;
}

/** Outcomes of copies of `chunkIds`, once there is one for each. */
async function outcomesOf(chunkIds: string[], timeoutMs = 20_000): Promise<CopyOutcome[]> {
  const of = () => dn.coordinator.copyOutcomes().filter((o) => chunkIds.includes(o.chunkId));
  await eventually(async () => of().length >= chunkIds.length, timeoutMs);
  return of();
}

const replicaOf = (node: DatanodeProcess) => ({ nodeId: node.ready!.nodeId, address: node.ready!.address });

it('copies a chunk on command and reports the outcome: ok to a live node, failed to a closed port', async () => {
  const data = random(3 * MiB);
  const chunkId = await put(source, data);
  const closed = { nodeId: 'gone', address: `127.0.0.1:${await freePort()}` };
  dn.coordinator.nextAnswer = { commands: [copyCommand(chunkId, replicaOf(target)), copyCommand(chunkId, closed)] };

  const outcomes = await outcomesOf([chunkId, chunkId]);
  const byTarget = new Map(outcomes.map((o) => [o.targetNodeId, o]));
  expect(byTarget.get(target.ready!.nodeId)).toMatchObject({ ok: true, error: '' });
  expect(byTarget.get('gone')).toMatchObject({ ok: false, error: expect.stringMatching(/\S/) });
  expect((await readFrom(dn.pool, target, chunkId)).equals(data)).toBe(true);
});

it('runs at most copy.maxActive (2) copies at once; the others wait in the order they came', async () => {
  const chunkIds: string[] = [];
  for (let i = 0; i < 4; i++) chunkIds.push(await put(source, random(256 * 1024)));
  // Copies to a peer that never answers each last the replica idle timeout (1 s).
  const silent = { nodeId: 'silent', address: `127.0.0.1:${(blackhole.address() as AddressInfo).port}` };
  dn.coordinator.nextAnswer = { commands: chunkIds.map((id) => copyCommand(id, silent)) };

  let mostAtOnce = 0;
  const watched = eventually(async () => {
    mostAtOnce = Math.max(mostAtOnce, (await dn.stats(source)).activeTransfers);
    return dn.coordinator.copyOutcomes().filter((o) => chunkIds.includes(o.chunkId)).length === 4;
  }, 20_000, 20);
  expect(await watched).toBe(true);
  const outcomes = await outcomesOf(chunkIds);
  expect(mostAtOnce).toBe(2);
  expect(outcomes.every((o) => !o.ok && o.targetNodeId === 'silent')).toBe(true);
  // The first two ran first; the last two waited for them.
  expect(outcomes.slice(0, 2).map((o) => o.chunkId).sort()).toEqual(chunkIds.slice(0, 2).sort());
  expect(outcomes.slice(2).map((o) => o.chunkId).sort()).toEqual(chunkIds.slice(2).sort());
});

it('fails a copy of a chunk that is corrupt here, quarantines it and reports it as corrupt', async () => {
  const chunkId = await put(source, random(MiB));
  await flipDataByte(source, chunkId, 200_000);
  dn.coordinator.nextAnswer = { commands: [copyCommand(chunkId, replicaOf(target))] };

  const [outcome] = await outcomesOf([chunkId]);
  expect(outcome).toMatchObject({ ok: false, targetNodeId: target.ready!.nodeId });
  expect(await eventually(async () => dn.coordinator.corruptChunkIds().includes(chunkId))).toBe(true);
  expect(await chunkIdsIn(source.dataDir)).not.toContain(chunkId);
  await expect(readFrom(dn.pool, target, chunkId)).rejects.toMatchObject({ code: Code.NotFound });
});
