import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes.js';
import { resolveCoordinators } from './resolve-coordinators.js';
import { collect, DFS_BIN, jsonLines, sha256, spawnTracked } from './test/run-dfs.js';
import { useCliCluster } from './test/use-cli-cluster.js';

// Every example in apps/cli/README.md runs here, as written, so the README
// cannot drift from what `dfs` does.
jest.setTimeout(120_000);

const README = join(__dirname, '..', 'README.md');
const ROOT_README = join(__dirname, '..', '..', '..', 'README.md');

/** The lines of the first fenced block in `language` (after the heading `after`, when given). */
async function fencedBlock(language: string, readme = README, after?: string): Promise<string[]> {
  let text = await readFile(readme, 'utf8');
  if (after !== undefined) {
    const at = text.indexOf(after);
    if (at < 0) throw new Error(`${readme} has no heading ${after}`);
    text = text.slice(at);
  }
  const match = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(text);
  if (!match) throw new Error(`${readme} has no \`\`\`${language} block`);
  return match[1]!.split('\n').filter((l) => l.trim() !== '');
}

describe('apps/cli/README.md', () => {
  const c = useCliCluster('readme');

  /** Runs each line with bash, `dfs` on PATH, in order; each must exit 0 with nothing on stderr. Returns stdout per line. */
  async function runLines(lines: string[]): Promise<Map<string, string>> {
    const bin = join(c.work, 'bin');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'dfs'), `#!/bin/sh\nexec "${process.execPath}" "${DFS_BIN}" "$@"\n`);
    await chmod(join(bin, 'dfs'), 0o755);
    const outputs = new Map<string, string>();
    for (const line of lines) {
      const child = spawnTracked('bash', ['-o', 'pipefail', '-c', line], {
        cwd: c.work,
        env: { PATH: `${bin}:${process.env['PATH']}`, DFS_COORDINATOR: c.address, HOME: c.work },
      });
      child.stdin!.end();
      const run = await collect(child);
      expect({ line, code: run.code, stderr: run.stderr }).toEqual({ line, code: 0, stderr: '' });
      outputs.set(line, run.text);
    }
    return outputs;
  }

  it('runs every shell example, in order, with `dfs` on PATH', async () => {
    // The local files the examples name.
    await writeFile(join(c.work, 'report.pdf'), randomBytes(300_000));
    await mkdir(join(c.work, 'photos', '2024'), { recursive: true });
    await writeFile(join(c.work, 'photos', 'cover.jpg'), randomBytes(1000));
    await writeFile(join(c.work, 'photos', '2024', 'beach.jpg'), randomBytes(2000));

    const outputs = await runLines(await fencedBlock('sh'));
    expect(outputs.get('dfs cat /notes/hello.txt')).toBe('hello\n');
    expect(outputs.get('dfs get /notes/hello.txt - | sha256sum')).toBe(`${sha256(Buffer.from('hello\n'))}  -\n`);
    expect(jsonLines(outputs.get('dfs ls -r --json /backup')!).map((e) => e['path'])).toEqual(['/backup/photos/2024/beach.jpg', '/backup/photos/cover.jpg']);
    expect(await readFile(join(c.work, 'copy.pdf'))).toEqual(await readFile(join(c.work, 'report.pdf')));
    expect(await readFile(join(c.work, 'restored', '2024', 'beach.jpg'))).toEqual(await readFile(join(c.work, 'photos', '2024', 'beach.jpg')));
    expect(outputs.get('dfs rm -r --dry-run /backup')).toBe('/backup/photos/2024/beach.jpg\n/backup/photos/cover.jpg\n/backup/\n');
    expect((await c.dfs(['ls', '-r', '/'])).text).toBe('/archive/hello.txt\n/docs/report.pdf\n');
    expect(outputs.get('dfs fsck')).toBe('healthy           2 files\nunder-replicated  0 files\nmissing           0 files\ncorrupt           0 files\n');
  });

  it('runs the example of the root README, which removes what it made', async () => {
    const outputs = await runLines(await fencedBlock('sh', ROOT_README, '## The command line'));
    expect(outputs.get('dfs cat /notes/hello.txt')).toBe('hello\n');
    expect(outputs.get('dfs ls -l /notes')).toContain('hello.txt');
    await expect(c.dfs(['stat', '/notes'])).resolves.toMatchObject({ code: ExitCode.NotFound });
  });

  it('the config.yaml example is read as two coordinators', async () => {
    const home = join(c.work, 'yaml-home');
    await mkdir(join(home, '.config', 'dfs'), { recursive: true });
    await writeFile(join(home, '.config', 'dfs', 'config.yaml'), (await fencedBlock('yaml')).join('\n') + '\n');
    expect(resolveCoordinators(undefined, { HOME: home }).addresses).toEqual(['10.0.0.5:8080', '10.0.0.6:8080']);
  });

  it('documents every exit code there is, and no other, as --help does', async () => {
    const codes = Object.values(ExitCode).sort((a, b) => a - b);
    const text = await readFile(README, 'utf8');
    expect([...text.matchAll(/^\| (\d+) \| /gm)].map((m) => Number(m[1]))).toEqual(codes);
    expect(EXIT_CODES_HELP.split('\n').map((line) => Number(line.split(' ')[0]))).toEqual(codes);
  });
});
