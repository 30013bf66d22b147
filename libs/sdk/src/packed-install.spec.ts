import { execFile } from 'node:child_process';
import { lstat, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { workspaceRoot } from '@dfs/test-cluster';
import { useSdkCluster } from './test/use-sdk-cluster.js';

// What a user of the npm package gets: the SDK and the workspace libraries
// it depends on, packed as tarballs, installed into a scratch project
// outside the workspace (so nothing can resolve back into the monorepo), and
// every JavaScript example of the SDK's README and of the repository's
// README run there against a real cluster.
jest.setTimeout(300_000);

const run = promisify(execFile);
const PACKED = ['libs/proto', 'libs/streamer', 'libs/client-pool', 'libs/sdk'];
// No client here: the examples make their own, from the installed package.
const sdk = useSdkCluster('packed', { datanodes: 2, replication: 2, client: 'none', scratch: true });

/** npm pack of a workspace package into the scratch directory; returns the tarball's file name. */
async function pack(dir: string): Promise<{ name: string; filename: string; files: string[] }> {
  const { stdout } = await run('npm', ['pack', resolve(workspaceRoot(), dir), '--pack-destination', sdk.scratch, '--json'], { cwd: sdk.scratch });
  const [info] = JSON.parse(stdout) as Array<{ name: string; filename: string; files: Array<{ path: string }> }>;
  return { name: info!.name, filename: info!.filename, files: info!.files.map((f) => f.path) };
}

/** The ```js blocks that use the SDK in a README, in order. */
async function examplesIn(readme: string): Promise<string[]> {
  const text = await readFile(join(workspaceRoot(), readme), 'utf8');
  return [...text.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((code) => code.includes("require('@dfs/sdk')"));
}

it('installs from packed tarballs outside the workspace and runs every README example against a cluster', async () => {
  expect(sdk.scratch.startsWith(workspaceRoot())).toBe(false);
  const tarballs = await Promise.all(PACKED.map(pack));
  const sdkTarball = tarballs.find((t) => t.name === '@dfs/sdk')!;
  // Built code, types and sources for the source maps; no tests.
  expect(sdkTarball.files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts']));
  expect(sdkTarball.files.filter((f) => /\.spec\.|\/test\/|tsbuildinfo/.test(f))).toEqual([]);

  const file = (name: string) => `file:./${tarballs.find((t) => t.name === name)!.filename}`;
  await writeFile(
    join(sdk.scratch, 'package.json'),
    JSON.stringify({
      name: 'dfs-sdk-scratch',
      private: true,
      dependencies: { '@dfs/sdk': file('@dfs/sdk') },
      // The SDK's own @dfs dependencies come from these tarballs too, never from a registry.
      overrides: { '@dfs/proto': file('@dfs/proto'), '@dfs/streamer': file('@dfs/streamer'), '@dfs/client-pool': file('@dfs/client-pool') },
    }),
  );
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: sdk.scratch });
  for (const name of ['sdk', 'proto', 'streamer', 'client-pool']) {
    const installed = join(sdk.scratch, 'node_modules/@dfs', name);
    expect((await lstat(installed)).isSymbolicLink()).toBe(false);
  }
  const { stdout: resolved } = await run(process.execPath, ['-p', "require.resolve('@dfs/sdk') + ' ' + require.resolve('@dfs/proto', { paths: [require.resolve('@dfs/sdk')] })"], { cwd: sdk.scratch });
  for (const path of resolved.trim().split(' ')) expect(path.startsWith(join(sdk.scratch, 'node_modules'))).toBe(true);

  const examples = [...(await examplesIn('libs/sdk/README.md')), ...(await examplesIn('README.md'))];
  expect(examples).toHaveLength(5);
  // Plain text whatever the runner sets (nx sets FORCE_COLOR, which colors console.log's booleans).
  const { FORCE_COLOR: _color, ...inherited } = process.env;
  const env = { ...inherited, NO_COLOR: '1', DFS_COORDINATOR: sdk.cluster.coordinator.address };
  const outputs: string[] = [];
  for (const [i, code] of examples.entries()) {
    const script = join(sdk.scratch, `example-${i + 1}.js`);
    await writeFile(script, code);
    const { stdout } = await run(process.execPath, [script], { cwd: sdk.scratch, env });
    outputs.push(stdout);
  }
  expect(outputs[0]).toMatch(/\/examples\/hello\.txt: 11000 bytes in 1 chunk\(s\)/);
  expect(outputs[0]).toMatch(/same bytes: true/);
  expect(outputs[0]).toMatch(/bytes 7-9: DFS/);
  expect(outputs[0]).toMatch(/file \/examples\/hello\.txt/);
  expect(outputs[1]).toMatch(/stored 2621440 bytes, 3 chunk\(s\)/);
  expect(outputs[1]).toMatch(/checksum matches: true/);
  expect(outputs[1]).toMatch(/upload canceled: the operation was canceled/);
  expect(outputs[2]).toMatch(/^NotFound - \/no\/such\/file does not exist$/m);
  expect(outputs[3]).toMatch(/^0 chunk\(s\) under-replicated, 0 missing, 0 being copied$/m);
  expect(outputs[3]).toMatch(/^fsck: 1 healthy, 0 not$/m);
  expect(outputs[4]).toMatch(/^\/readme\/hello\.txt 11 bytes, sha256 [0-9a-f]{64}$/m);
});
