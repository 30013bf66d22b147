import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePorts } from '@dfs/test-cluster';
import { jsonLines } from './test/run-dfs.js';
import { useCliCluster } from './test/use-cli-cluster.js';

// The built `dfs` binary against a real cluster: listing, stat, rm, mv,
// nodes and status output, and the messages and exit codes of failures.
jest.setTimeout(120_000);

const MiB = 1024 * 1024;

describe('dfs ls / stat / rm / mv / nodes / status against a real cluster', () => {
  const c = useCliCluster('namespace');

  beforeAll(async () => {
    await c.dfs(['put', '--chunk-size', '1MiB', '-', '/lib/big.bin'], { input: randomBytes(2 * MiB + 1) });
    await c.dfs(['put', '-', '/lib/sub/small.txt'], { input: 'small\n' });
    await c.dfs(['put', '-', '/lib/sub/deeper/x.txt'], { input: 'x' });
  });

  it('ls: paths, directories with "/"; -r every file below', async () => {
    expect(await c.dfs(['ls', '/lib'])).toMatchObject({ code: 0, stderr: '', text: '/lib/big.bin\n/lib/sub/\n' });
    expect((await c.dfs(['ls', '-r', '/lib'])).text).toBe('/lib/big.bin\n/lib/sub/deeper/x.txt\n/lib/sub/small.txt\n');
    expect((await c.dfs(['ls', '/lib/sub/small.txt'])).text).toBe('/lib/sub/small.txt\n');
  });

  it('ls -l: size, chunks, replication and time under a header; -h for people', async () => {
    const lines = (await c.dfs(['ls', '-l', '/lib'])).text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TYPE\s+SIZE\s+CHUNKS\s+REPL\s+CREATED\s+PATH$/);
    expect(lines[1]).toMatch(/^file\s+2097153\s+3\s+3\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+\/lib\/big\.bin$/);
    expect(lines[2]).toMatch(/^dir\s+-\s+-\s+-\s+-\s+\/lib\/sub\/$/);
    expect((await c.dfs(['ls', '-lh', '/lib'])).text).toMatch(/^file\s+2\.0 MiB\s+3\s+3\s/m);
  });

  it('ls --json and ls -r --json: one object per line with fixed keys', async () => {
    const entries = jsonLines((await c.dfs(['ls', '--json', '/lib'])).text);
    expect(entries).toEqual([
      {
        path: '/lib/big.bin',
        isDirectory: false,
        size: 2 * MiB + 1,
        chunkSize: MiB,
        chunkCount: 3,
        replication: 3,
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        fileId: expect.any(String),
      },
      { path: '/lib/sub', isDirectory: true },
    ]);
    const all = jsonLines((await c.dfs(['ls', '-r', '--json', '/lib'])).text);
    expect(all.map((e) => [e['path'], e['size']])).toEqual([
      ['/lib/big.bin', 2 * MiB + 1],
      ['/lib/sub/deeper/x.txt', 1],
      ['/lib/sub/small.txt', 6],
    ]);
  });

  it('stat --json: one object; stat: aligned fields', async () => {
    const stat = await c.dfs(['stat', '--json', '/lib/sub/small.txt']);
    expect(jsonLines(stat.text)).toEqual([expect.objectContaining({ path: '/lib/sub/small.txt', size: 6, chunkCount: 1, replication: 3, isDirectory: false })]);
    expect((await c.dfs(['stat', '/lib/sub'])).text).toBe('path  /lib/sub\ntype  directory\n');
    expect((await c.dfs(['stat', '/lib/sub/small.txt'])).text).toMatch(/^path {9}\/lib\/sub\/small\.txt\ntype {9}file\nsize {9}6\n/);
  });

  it('mv renames a tree, and moves a file into an existing directory', async () => {
    await c.dfs(['put', '-', '/mv/a.txt'], { input: 'a' });
    await c.dfs(['put', '-', '/mv/dir/keep.txt'], { input: 'k' });
    expect(await c.dfs(['mv', '/mv/a.txt', '/mv/dir'])).toMatchObject({ code: 0, text: 'renamed /mv/a.txt to /mv/dir/a.txt (1 file)\n' });
    expect(await c.dfs(['mv', '--json', '/mv/dir', '/moved'])).toMatchObject({ code: 0, text: '{"from":"/mv/dir","to":"/moved","filesRenamed":2}\n' });
    expect((await c.dfs(['ls', '-r', '/moved'])).text).toBe('/moved/a.txt\n/moved/keep.txt\n');
    expect((await c.dfs(['ls', '/mv'])).code).toBe(3);
  });

  it('rm --dry-run lists what would go and keeps it; rm -r deletes the tree; rm without -r refuses a directory', async () => {
    await c.dfs(['put', '-', '/rm/t/1.txt'], { input: '1' });
    await c.dfs(['put', '-', '/rm/t/u/2.txt'], { input: '2' });
    expect(await c.dfs(['rm', '-r', '--dry-run', '/rm/t'])).toMatchObject({ code: 0, text: '/rm/t/1.txt\n/rm/t/u/2.txt\n/rm/t/\n' });
    expect(jsonLines((await c.dfs(['rm', '-r', '--dry-run', '--json', '/rm/t'])).text).map((e) => e['path'])).toEqual(['/rm/t/1.txt', '/rm/t/u/2.txt', '/rm/t']);
    expect((await c.dfs(['ls', '-r', '/rm/t'])).text).toBe('/rm/t/1.txt\n/rm/t/u/2.txt\n');

    expect(await c.dfs(['rm', '/rm/t'])).toMatchObject({ code: 5, text: '', stderr: 'dfs: /rm/t is a directory: use -r to delete it and everything under it\n' });
    expect(await c.dfs(['rm', '-r', '/rm/t'])).toMatchObject({ code: 0, text: 'deleted /rm/t (2 files)\n' });
    expect(await c.dfs(['rm', '--json', '/lib/sub/deeper/x.txt'])).toMatchObject({ code: 0, text: '{"path":"/lib/sub/deeper/x.txt","filesDeleted":1}\n' });
    expect((await c.dfs(['ls', '/rm'])).code).toBe(3);
  });

  it('nodes: a row per datanode (state, address, zone, used/capacity, chunks, heartbeat); --json per line', async () => {
    const lines = (await c.dfs(['nodes', '-h'])).text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NODE\s+STATE\s+ADDRESS\s+ZONE\s+USED\s+CAPACITY\s+USE%\s+CHUNKS\s+HEARTBEAT$/);
    expect(lines).toHaveLength(4);
    for (const row of lines.slice(1)) expect(row).toMatch(/^\S+\s+healthy\s+127\.0\.0\.1:\d+\s+-\s+\S+ [KMGT]?i?B\s+\S+ [KMGT]?i?B\s+\d+%\s+\d+\s+\S+ ago$/);
    const nodes = jsonLines((await c.dfs(['nodes', '--json'])).text);
    expect(nodes).toHaveLength(3);
    for (const n of nodes) {
      expect(n).toEqual({
        nodeId: expect.any(String),
        state: 'healthy',
        address: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        zone: '',
        usedBytes: expect.any(Number),
        capacityBytes: expect.any(Number),
        chunkCount: expect.any(Number),
        lastHeartbeat: expect.stringMatching(/Z$/),
      });
    }
  });

  it('status: nodes, capacity, files, chunks, healing counts; --json is one object', async () => {
    const text = (await c.dfs(['status'])).text;
    expect(text).toMatch(
      /^nodes {13}3 healthy, 0 suspect, 0 dead, 0 draining, 0 drained\ncapacity {10}\d+\nused {14}\d+ \(\d+%\)\nfiles {13}\d+\nchunks {12}\d+\nunder-replicated {2}\d+ chunks? \(\d+ with one copy left\)\nmissing {11}\d+ chunks?\ncorrupt {11}\d+ chunks?\ncopies {12}\d+ queued, \d+ in flight\nview {14}(complete|incomplete: .*)\n$/,
    );
    const [status, ...rest] = jsonLines((await c.dfs(['status', '--json'])).text);
    expect(rest).toEqual([]);
    expect(status).toMatchObject({ nodesHealthy: 3, nodesSuspect: 0, nodesDead: 0, files: expect.any(Number), underReplicatedChunks: expect.any(Number) });
  });

  describe('failures: one line on stderr, a documented exit code', () => {
    it('a missing remote file: exit 3', async () => {
      expect(await c.dfs(['get', '/no/such.txt'])).toEqual(expect.objectContaining({ code: 3, text: '', stderr: 'dfs: /no/such.txt does not exist\n' }));
      expect(await c.dfs(['cat', '/no/such.txt'])).toMatchObject({ code: 3, stderr: 'dfs: /no/such.txt does not exist\n' });
    });

    it('a bad path: exit 2, with the rule it broke', async () => {
      expect(await c.dfs(['ls', 'relative/path'])).toMatchObject({ code: 2, text: '', stderr: 'dfs: path "relative/path" is not absolute: start it with "/"\n' });
      expect((await c.dfs(['stat', '/a/../b'])).stderr).toMatch(/^dfs: .*"\.\." component.*\n$/);
    });

    it('a missing local file: exit 3, nothing uploaded', async () => {
      expect(await c.dfs(['put', 'nope.txt', '/x.txt'])).toMatchObject({ code: 3, text: '', stderr: 'dfs: nope.txt: no such local file or directory\n' });
      expect((await c.dfs(['stat', '/x.txt'])).code).toBe(3);
    });

    it('a local directory without -r: exit 5', async () => {
      await mkdir(join(c.work, 'adir'), { recursive: true });
      expect(await c.dfs(['put', 'adir', '/adir'])).toMatchObject({ code: 5, stderr: 'dfs: adir is a directory: use -r to upload it and everything under it\n' });
    });

    it('usage errors: exit 2 and one line (missing argument, unknown flag, bad size, unknown command)', async () => {
      expect(await c.dfs(['put'])).toMatchObject({ code: 2, text: '', stderr: 'dfs: missing arguments: <local> <remote> (see --help)\n' });
      expect(await c.dfs(['ls', '--frobnicate'])).toMatchObject({ code: 2, stderr: 'dfs: Nonexistent flag: --frobnicate (see --help)\n' });
      expect(await c.dfs(['put', '--chunk-size', 'huge', 'a', '/b'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^dfs: --chunk-size: expected a size/) });
      expect(await c.dfs(['frobnicate'])).toMatchObject({ code: 2, stderr: 'dfs: unknown command "frobnicate": run "dfs --help" for the list\n' });
    });

    it('an unreachable coordinator: exit 6, naming the address and saying to check it is running', async () => {
      const [closed] = await freePorts(1);
      const run = await c.dfs(['ls', '/', '--coordinator', `127.0.0.1:${closed}`]);
      expect(run.code).toBe(6);
      expect(run.text).toBe('');
      expect(run.stderr).toMatch(new RegExp(`^dfs: cannot reach the coordinator at 127\\.0\\.0\\.1:${closed} \\(.*\\): check that it is running and that --coordinator names it\\n$`));
    });

    it('finds the coordinator in $HOME/.config/dfs/config.yaml; a bad one exits 78 naming file and line', async () => {
      const home = join(c.work, 'home');
      await mkdir(join(home, '.config', 'dfs'), { recursive: true });
      await writeFile(join(home, '.config', 'dfs', 'config.yaml'), `coordinator:\n  - ${c.address}\n`);
      expect(await c.dfs(['ls', '/'], { env: { DFS_COORDINATOR: '', HOME: home } })).toMatchObject({ code: 0, stderr: '' });
      await writeFile(join(home, '.config', 'dfs', 'config.yaml'), '# mine\ncoordinator: not-an-address\n');
      const bad = await c.dfs(['ls', '/'], { env: { DFS_COORDINATOR: '', HOME: home } });
      expect(bad).toMatchObject({ code: 78, stderr: `dfs: invalid configuration: ${join(home, '.config', 'dfs', 'config.yaml')}:2: coordinator="not-an-address": expected host:port\n` });
    });
  });
});
