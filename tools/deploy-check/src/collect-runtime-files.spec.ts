import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './load-deploy-files.js';

// deploy/docker/collect-runtime-files.cjs decides what goes into each image;
// here it runs on a small workspace laid out as npm and the build leave one.
const SCRIPT = join(REPO_ROOT, 'deploy/docker/collect-runtime-files.cjs');

describe('collect-runtime-files', () => {
  let dir: string;
  const put = (path: string, text = '') => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  const manifest = (path: string, dependencies: Record<string, string>, devDependencies: Record<string, string> = {}) =>
    put(`prod/${path}/package.json`, JSON.stringify({ name: `@dfs/${path.split('/')[1]}`, dependencies, devDependencies }));
  const run = (app: string) => spawnSync(process.execPath, [SCRIPT, app, join(dir, 'prod'), join(dir, 'build'), join(dir, 'out')], { encoding: 'utf8' });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dfs-collect-'));
    // PROD: what `npm ci --omit=dev --workspace apps/a` leaves: manifests, node_modules, a link per workspace.
    manifest('apps/a', { '@dfs/x': '0.1.0', 'left-pad': '1.3.0' }, { '@dfs/t': '0.1.0' });
    manifest('libs/x', { '@dfs/y': '0.1.0' });
    manifest('libs/y', {});
    manifest('tools/t', {});
    put('prod/libs/x/node_modules/nested/index.js');
    put('prod/node_modules/left-pad/index.js');
    for (const file of ['binding.gyp', 'lib/index.js', 'deps/sqlite3.c', 'src/addon.cpp', 'build/Makefile', 'build/Release/obj.target/addon.o', 'build/Release/better_sqlite3.node']) {
      put(`prod/node_modules/better-sqlite3/${file}`);
    }
    mkdirSync(join(dir, 'prod/node_modules/@dfs'));
    for (const ws of ['apps/a', 'libs/x', 'libs/y', 'tools/t']) symlinkSync(`../../${ws}`, join(dir, 'prod/node_modules/@dfs', ws.split('/')[1]!));
    // BUILD: every workspace built; the app also has a bin/.
    for (const ws of ['apps/a', 'libs/x', 'libs/y', 'tools/t']) put(`build/${ws}/dist/index.js`);
    put('build/apps/a/bin/run.js');
    put('build/apps/a/src/main.ts');
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('copies the app and the workspaces its dependencies reach, with production node_modules', () => {
    const result = run('apps/a');
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('collected apps/a with libs/x, libs/y\n');
    const out = (path: string) => existsSync(join(dir, 'out', path));
    for (const path of ['apps/a/package.json', 'apps/a/dist/index.js', 'apps/a/bin/run.js', 'libs/x/dist/index.js', 'libs/x/node_modules/nested/index.js', 'libs/y/dist/index.js', 'node_modules/left-pad/index.js']) {
      expect([path, out(path)]).toEqual([path, true]);
    }
    // Links stay links, so @dfs/x resolves to the copied libs/x.
    expect(readlinkSync(join(dir, 'out/node_modules/@dfs/x'))).toBe('../../libs/x');
    // Sources, and workspaces only the app's tests use, stay out.
    for (const path of ['apps/a/src', 'tools/t', 'node_modules/@dfs/t']) expect([path, out(path)]).toEqual([path, false]);
    // A native addon keeps its binary only.
    expect(out('node_modules/better-sqlite3/build/Release/better_sqlite3.node')).toBe(true);
    for (const path of ['deps', 'src', 'build/Makefile', 'build/Release/obj.target']) expect([path, out(`node_modules/better-sqlite3/${path}`)]).toEqual([path, false]);
  });

  it('fails, naming it, when a workspace the app needs was not built', () => {
    rmSync(join(dir, 'build/libs/y/dist'), { recursive: true });
    const result = run('apps/a');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`libs/y/dist is missing in ${join(dir, 'build')}: build apps/a first`);
  });

  it('says how to call it', () => {
    const result = spawnSync(process.execPath, [SCRIPT, 'apps/a'], { encoding: 'utf8' });
    expect([result.status, result.stderr]).toEqual([64, 'usage: collect-runtime-files.cjs apps/<app> PROD BUILD OUT\n']);
  });
});
