import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatSize } from './format-size.js';
import { collect, jsonLines, sha256, spawnDfs } from './test/run-dfs.js';
import { useCliCluster } from './test/use-cli-cluster.js';

// The built `dfs` binary against a real cluster: round trips of files,
// trees, stdin and stdout, checked byte for byte.
jest.setTimeout(120_000);

const KiB = 1024;
const MiB = 1024 * KiB;

describe('dfs put / get / cat against a real cluster', () => {
  const c = useCliCluster('transfers');

  it('round-trips a multi-chunk file: put, then get to a file, byte-identical', async () => {
    const data = randomBytes(3 * MiB + 17);
    await writeFile(join(c.work, 'data.bin'), data);
    const put = await c.dfs(['put', '--chunk-size', '1MiB', 'data.bin', '/rt/data.bin']);
    expect(put).toMatchObject({ code: 0, stderr: '', text: 'uploaded data.bin to /rt/data.bin (3.0 MiB)\n' });

    const get = await c.dfs(['get', '/rt/data.bin', 'copy.bin']);
    expect(get).toMatchObject({ code: 0, stderr: '', text: 'downloaded /rt/data.bin to copy.bin (3.0 MiB)\n' });
    expect(sha256(await readFile(join(c.work, 'copy.bin')))).toBe(sha256(data));

    const stat = jsonLines((await c.dfs(['stat', '--json', '/rt/data.bin'])).text)[0]!;
    expect(stat).toMatchObject({ size: data.length, chunkSize: MiB, chunkCount: 4, sha256: sha256(data) });
  });

  it('reads stdin for "-" and writes stdout for "-", byte-identical (sha256)', async () => {
    const data = randomBytes(2 * MiB + 5);
    const put = await c.dfs(['put', '--chunk-size', '512KiB', '-', '/pipe/in.bin'], { input: data });
    expect(put).toMatchObject({ code: 0, stderr: '', text: 'uploaded stdin to /pipe/in.bin (2.0 MiB)\n' });
    const get = await c.dfs(['get', '/pipe/in.bin', '-']);
    expect(get.code).toBe(0);
    expect(get.stderr).toBe('');
    expect(get.stdout.length).toBe(data.length);
    expect(sha256(get.stdout)).toBe(sha256(data));
  });

  it('cat writes one or several files to stdout', async () => {
    await c.dfs(['put', '-', '/cat/a.txt'], { input: 'hello ' });
    await c.dfs(['put', '-', '/cat/b.txt'], { input: 'world\n' });
    expect(await c.dfs(['cat', '/cat/a.txt', '/cat/b.txt'])).toMatchObject({ code: 0, text: 'hello world\n', stderr: '' });
  });

  it('round-trips a directory tree with -r (nested directories, an empty file)', async () => {
    const tree: Record<string, Buffer> = {
      'photos/cover.jpg': randomBytes(100 * KiB),
      'photos/2024/jan/a.jpg': randomBytes(300 * KiB),
      'photos/2024/feb/b.jpg': randomBytes(7),
      'photos/empty.txt': Buffer.alloc(0),
    };
    for (const [path, data] of Object.entries(tree)) {
      await mkdir(join(c.work, path, '..'), { recursive: true });
      await writeFile(join(c.work, path), data);
    }
    const put = await c.dfs(['put', '-r', '--json', 'photos', '/backup/photos']);
    expect(put.code).toBe(0);
    expect(jsonLines(put.text).map((f) => f['path']).sort()).toEqual(Object.keys(tree).map((p) => `/backup/${p}`).sort());

    const get = await c.dfs(['get', '-r', '/backup/photos', 'restored']);
    expect(get.code).toBe(0);
    for (const [path, data] of Object.entries(tree)) {
      expect(sha256(await readFile(join(c.work, 'restored', path.slice('photos/'.length))))).toBe(sha256(data));
    }
    // Into an existing directory, a tree lands under its own name.
    expect((await c.dfs(['get', '-r', '/backup/photos', 'restored'])).code).toBe(0);
    expect(await readdir(join(c.work, 'restored', 'photos', '2024'))).toEqual(['feb', 'jan']);
  });

  it('puts several files into a directory; keeps existing files unless --overwrite', async () => {
    await writeFile(join(c.work, 'one.txt'), 'one');
    await writeFile(join(c.work, 'two.txt'), 'two');
    const put = await c.dfs(['upload', 'one.txt', 'two.txt', '/multi']);
    expect(put).toMatchObject({ code: 0, text: 'uploaded one.txt to /multi/one.txt (3 B)\nuploaded two.txt to /multi/two.txt (3 B)\n' });

    const again = await c.dfs(['put', 'two.txt', '/multi/one.txt']);
    expect(again).toMatchObject({ code: 4, text: '', stderr: 'dfs: /multi/one.txt exists: pass --overwrite to replace it\n' });
    expect((await c.dfs(['put', '--overwrite', 'two.txt', '/multi/one.txt'])).code).toBe(0);
    expect((await c.dfs(['cat', '/multi/one.txt'])).text).toBe('two');

    const local = await c.dfs(['download', '/multi/one.txt', 'one.txt']);
    expect(local).toMatchObject({ code: 4, stderr: 'dfs: one.txt exists: pass --overwrite to replace it\n' });
    expect((await c.dfs(['get', '--overwrite', '-q', '/multi/one.txt', 'one.txt'])).text).toBe('');
    expect(await readFile(join(c.work, 'one.txt'), 'utf8')).toBe('two');
  });

  it('moves many files --parallel at a time, printing them in order', async () => {
    const names = Array.from({ length: 24 }, (_, i) => `f${String(i).padStart(2, '0')}.bin`);
    const files = new Map(names.map((name, i) => [name, randomBytes(i * 1000 + 1)]));
    await mkdir(join(c.work, 'many'));
    for (const [name, data] of files) await writeFile(join(c.work, 'many', name), data);
    const put = await c.dfs(['put', '-r', '-P', '8', 'many', '/many']);
    expect(put.code).toBe(0);
    expect(put.text).toBe(names.map((n) => `uploaded many/${n} to /many/${n} (${formatSize(files.get(n)!.length, true)})\n`).join(''));
    const get = await c.dfs(['get', '-r', '--parallel', '8', '--json', '/many', 'many-back']);
    expect(get.code).toBe(0);
    expect(jsonLines(get.text).map((f) => f['path'])).toEqual(names.map((n) => `/many/${n}`));
    for (const [name, data] of files) expect(sha256(await readFile(join(c.work, 'many-back', name)))).toBe(sha256(data));
  });

  it('stops the other files at the first failure and reports every file that was stored', async () => {
    await mkdir(join(c.work, 'clash'));
    const names = Array.from({ length: 30 }, (_, i) => `f${String(i).padStart(2, '0')}.txt`);
    for (const name of names) await writeFile(join(c.work, 'clash', name), `new ${name}`);
    await c.dfs(['put', '-', '/clash/f20.txt'], { input: 'old f20.txt' });
    // /clash exists (it holds f20.txt): the tree lands in it under its own name when put into /.
    const put = await c.dfs(['put', '-r', '-P', '4', 'clash', '/']);
    expect(put).toMatchObject({ code: 4, stderr: 'dfs: /clash/f20.txt exists: pass --overwrite to replace it\n' });
    const reported = [...put.text.matchAll(/^uploaded clash\/(\S+) to/gm)].map((m) => m[1]!);
    // f20 starts only once 17 files are done (4 at a time), and every file done is reported.
    expect(reported.length).toBeGreaterThanOrEqual(17);
    expect(reported).not.toContain('f20.txt');
    for (const name of reported) expect((await c.dfs(['cat', `/clash/${name}`])).text).toBe(`new ${name}`);
    expect((await c.dfs(['cat', '/clash/f20.txt'])).text).toBe('old f20.txt');
    // Nothing landed that was not reported.
    const listed = (await c.dfs(['ls', '/clash'])).text.trim().split('\n');
    expect(listed.sort()).toEqual([...reported.map((n) => `/clash/${n}`), '/clash/f20.txt'].sort());
  });

  it('Ctrl-C (SIGINT) aborts an upload through the SDK: exit 130, and no file appears', async () => {
    const child = spawnDfs(['put', '--chunk-size', '64KiB', '-', '/interrupted.bin'], { cwd: c.work, env: { DFS_COORDINATOR: c.address, HOME: c.work } });
    const result = collect(child);
    // Once 4 MiB went into a 64 KiB pipe, dfs is reading stdin, so the upload (and its SIGINT handler) has started.
    const written = new Promise<void>((resolve, reject) => child.stdin!.write(randomBytes(4 * MiB), (err) => (err ? reject(err) : resolve())));
    await Promise.race([written, once(child, 'exit').then(() => Promise.reject(new Error('dfs exited before reading its input')))]);
    child.kill('SIGINT');
    expect(await result).toMatchObject({ code: 130, stderr: 'dfs: interrupted\n', text: '' });
    expect(await c.dfs(['stat', '/interrupted.bin'])).toMatchObject({ code: 3, stderr: 'dfs: /interrupted.bin does not exist\n' });
  });
  // Last in the file: it stops every datanode, and the tests above need them.
  it('a get -r that fails removes the local directories it made for files that never landed', async () => {
    await c.dfs(['put', '-', '/broken/a/one.bin'], { input: randomBytes(1000) });
    await c.dfs(['put', '-', '/broken/b/two.bin'], { input: randomBytes(1000) });
    await mkdir(join(c.work, 'restore'));
    try {
      for (const d of c.cluster.datanodes) await d.kill();
      const get = await c.dfs(['get', '-r', '-P', '1', '/broken', 'restore/broken']);
      expect(get.code).not.toBe(0);
      expect(get.stderr).toMatch(/one\.bin|chunk/);
      // restore/ was there before and stays; broken/ and broken/a/ were made for the download and are gone.
      expect(await readdir(join(c.work, 'restore'))).toEqual([]);
    } finally {
      for (const d of c.cluster.datanodes) await d.restart();
      await c.cluster.waitForHealthy();
    }
  });
});
