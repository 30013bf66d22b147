import { randomBytes } from 'node:crypto';
import { eventually } from '@dfs/test-cluster';
import { ExitCode } from './exit-codes.js';
import { jsonLines } from './test/run-dfs.js';
import { useCliCluster, type CliCluster } from './test/use-cli-cluster.js';

// The built `dfs` binary against real clusters: the healing counts of
// `status`, `fsck` of a healthy and of a damaged tree, and `node drain --wait`.
jest.setTimeout(180_000);

const FILES = ['/keep/a.bin', '/keep/sub/b.bin'];

async function putFiles(c: CliCluster): Promise<void> {
  for (const path of FILES) {
    expect(await c.dfs(['put', '--chunk-size', '64KiB', '-', path], { input: randomBytes(200_000) })).toMatchObject({ code: 0, stderr: '' });
  }
}

async function statusJson(c: CliCluster): Promise<Record<string, unknown>> {
  const run = await c.dfs(['status', '--json']);
  expect(run).toMatchObject({ code: 0, stderr: '' });
  return jsonLines(run.text)[0]!;
}

/** Polls `dfs status --json` until `check` holds (node states and healing change within seconds, never at once). */
async function untilStatus(c: CliCluster, check: (s: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  let last: Record<string, unknown> = {};
  const held = await eventually(async () => check((last = await statusJson(c))), 60_000, 250);
  expect({ held, last }).toEqual({ held: true, last });
  return last;
}

async function nodesJson(c: CliCluster): Promise<Record<string, unknown>[]> {
  return jsonLines((await c.dfs(['nodes', '--json'])).text);
}

describe('on a healthy cluster of 4 datanodes (R=3)', () => {
  const c = useCliCluster('healing-drain', { datanodes: 4, replication: 3 });

  beforeAll(() => putFiles(c));

  it('status --json: every healing count, the view complete once every node has reported', async () => {
    const status = await untilStatus(c, (s) => s['viewComplete'] === true);
    expect(status).toEqual({
      nodesHealthy: 4,
      nodesSuspect: 0,
      nodesDead: 0,
      nodesDraining: 0,
      nodesDrained: 0,
      capacityBytes: expect.any(Number),
      usedBytes: expect.any(Number),
      files: 2,
      chunks: 8,
      underReplicatedChunks: 0,
      oneCopyChunks: 0,
      missingChunks: 0,
      corruptChunks: 0,
      queuedCopies: 0,
      copiesInFlight: 0,
      uncheckedChunks: 0,
      viewComplete: true,
    });
  });

  it('status: the healing counts in the table', async () => {
    const run = await c.dfs(['status', '-h']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.text).toMatch(
      /^nodes {13}4 healthy, 0 suspect, 0 dead, 0 draining, 0 drained\n(.*\n){4}under-replicated {2}0 chunks \(0 with one copy left\)\nmissing {11}0 chunks\ncorrupt {11}0 chunks\ncopies {12}0 queued, 0 in flight\nview {14}complete\n$/,
    );
  });

  it('fsck: every file healthy, exit 0; --json is the summary alone', async () => {
    expect(await c.dfs(['fsck'])).toEqual(
      expect.objectContaining({ code: 0, stderr: '', text: 'healthy           2 files\nunder-replicated  0 files\nmissing           0 files\ncorrupt           0 files\n' }),
    );
    expect(await c.dfs(['fsck', '--json', '/keep/sub'])).toMatchObject({ code: 0, stderr: '', text: '{"filesHealthy":1,"filesUnderReplicated":0,"filesMissing":0,"filesCorrupt":0}\n' });
    expect(await c.dfs(['fsck', '/nothing/here'])).toMatchObject({ code: ExitCode.NotFound, text: '', stderr: 'dfs: /nothing/here does not exist\n' });
  });

  it('node drain --wait: prints the node draining, then drained; it holds nothing that is not copied elsewhere', async () => {
    const nodes = await nodesJson(c);
    const victim = nodes.reduce((a, b) => ((b['chunkCount'] as number) > (a['chunkCount'] as number) ? b : a));
    const { nodeId, address } = victim as { nodeId: string; address: string };

    const run = await c.dfs(['node', 'drain', '--wait', '--timeout', '2m', nodeId]);
    expect(run).toEqual(expect.objectContaining({ code: 0, stderr: '', text: `node ${nodeId} at ${address} is draining\nnode ${nodeId} at ${address} is drained\n` }));
    expect((await nodesJson(c)).find((n) => n['nodeId'] === nodeId)).toMatchObject({ state: 'drained' });
    expect(await statusJson(c)).toMatchObject({ nodesHealthy: 3, nodesDrained: 1, underReplicatedChunks: 0, missingChunks: 0 });
    expect((await c.dfs(['fsck'])).code).toBe(0);

    await c.cluster.datanodes.find((d) => d.nodeId === nodeId)!.kill('SIGTERM');
    await untilStatus(c, (s) => s['nodesDead'] === 1);
    expect(await statusJson(c)).toMatchObject({ nodesDrained: 0, underReplicatedChunks: 0, missingChunks: 0 });
    expect((await c.dfs(['fsck'])).code).toBe(0);
  });

  it('node drain: an unknown node exits 3, a dead one 5; --json prints the node', async () => {
    expect(await c.dfs(['node', 'drain', 'no-such-node'])).toMatchObject({ code: ExitCode.NotFound, text: '', stderr: expect.stringMatching(/^dfs: node no-such-node is not known.*\n$/) });
    const nodes = await nodesJson(c);
    const dead = nodes.find((n) => n['state'] === 'dead')!;
    expect(await c.dfs(['node', 'drain', dead['nodeId'] as string])).toMatchObject({ code: ExitCode.WrongKind, text: '', stderr: expect.stringMatching(/ is dead, so it cannot become draining/) });
    // The last test here: with R=3, the 3 nodes left cannot drain one of them; it stays draining.
    const healthy = nodes.find((n) => n['state'] === 'healthy')!;
    const run = await c.dfs(['node', 'drain', '--json', healthy['nodeId'] as string]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(jsonLines(run.text)).toEqual([{ ...healthy, state: 'draining', usedBytes: expect.any(Number), chunkCount: expect.any(Number), lastHeartbeat: expect.any(String) }]);
  });
});

describe('on 3 datanodes with R=3, one of them killed (no node to copy to)', () => {
  const c = useCliCluster('healing-kill', { datanodes: 3, replication: 3 });

  beforeAll(async () => {
    await putFiles(c);
    await untilStatus(c, (s) => s['viewComplete'] === true);
    await c.cluster.datanodes[0]!.kill();
    await untilStatus(c, (s) => s['nodesDead'] === 1);
  });

  it('fsck: a line per file, the counts, one line on stderr and exit 8', async () => {
    const run = await c.dfs(['fsck']);
    expect(run.code).toBe(ExitCode.Unhealthy);
    expect(run.text).toBe(
      [
        'HEALTH            CHUNKS  PATH',
        'under-replicated       4  /keep/a.bin',
        'under-replicated       4  /keep/sub/b.bin',
        '',
        'healthy           0 files',
        'under-replicated  2 files',
        'missing           0 files',
        'corrupt           0 files',
        '',
      ].join('\n'),
    );
    expect(run.stderr).toBe('dfs: 2 of 2 files not healthy (2 under-replicated, 0 missing, 0 corrupt)\n');
  });

  it('fsck --json: one object per file that is not healthy, then the summary; exit 8', async () => {
    const run = await c.dfs(['fsck', '--json', '/keep']);
    expect(run.code).toBe(ExitCode.Unhealthy);
    expect(jsonLines(run.text)).toEqual([
      { path: '/keep/a.bin', health: 'under-replicated', unhealthyChunkIds: expect.arrayContaining([expect.any(String)]) },
      { path: '/keep/sub/b.bin', health: 'under-replicated', unhealthyChunkIds: expect.arrayContaining([expect.any(String)]) },
      { filesHealthy: 0, filesUnderReplicated: 2, filesMissing: 0, filesCorrupt: 0 },
    ]);
    for (const problem of jsonLines(run.text).slice(0, 2)) expect(problem['unhealthyChunkIds']).toHaveLength(4);
  });

  it('status: the under-replicated chunks, none missing', async () => {
    const status = await untilStatus(c, (s) => s['underReplicatedChunks'] === 8);
    expect(status).toMatchObject({ nodesHealthy: 2, nodesDead: 1, underReplicatedChunks: 8, oneCopyChunks: 0, missingChunks: 0, queuedCopies: 8, copiesInFlight: 0, viewComplete: true });
    expect((await c.dfs(['status'])).text).toMatch(/\nunder-replicated {2}8 chunks \(0 with one copy left\)\nmissing {11}0 chunks\n/);
  });
});
