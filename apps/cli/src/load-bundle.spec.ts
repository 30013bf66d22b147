import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeCache, loadBundle } from './load-bundle.js';

/** The built load-bundle.js (the test target builds first), run by Node itself: jest's require has a module cache of its own. */
const BUILT = join(__dirname, '..', 'dist', 'load-bundle.js');

describe('loadBundle', () => {
  let dir: string;
  let bundleFile: string;
  let cacheFile: string;
  // The require whose cache loadBundle fills.
  let nodeRequire: NodeJS.Require;

  /** A bundle that counts how often it runs, ending with `idLine` as scripts/bundle-cli.cjs ends one. */
  function writeBundle(value: string, idLine = '// dfs-bundle-id: 0123abcd'): void {
    writeFileSync(bundleFile, `globalThis.bundleRuns = (globalThis.bundleRuns ?? 0) + 1;\nexports.value = ${JSON.stringify(value)};\nexports.dir = __dirname;\n${idLine}\n`);
  }

  function load() {
    delete nodeRequire.cache[bundleFile];
    return loadBundle(bundleFile, cacheFile);
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dfs-load-bundle-'));
    bundleFile = join(dir, 'dfs.js');
    cacheFile = join(dir, 'dfs.js.cache');
    nodeRequire = createRequire(bundleFile);
  });

  afterEach(() => {
    delete nodeRequire.cache[bundleFile];
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the bundle as a CommonJS module', () => {
    writeBundle('a');
    expect(load().exports).toEqual({ value: 'a', dir });
  });

  it('runs it once: a later require() of it, also by its real path from a symlink, gets the same exports', () => {
    writeBundle('a');
    const link = join(dir, 'link.js');
    symlinkSync(bundleFile, link);
    const script = [
      `const bundle = require(${JSON.stringify(BUILT)}).loadBundle(${JSON.stringify(link)}, ${JSON.stringify(cacheFile)});`,
      `console.log(JSON.stringify([require(${JSON.stringify(bundleFile)}) === bundle.exports, globalThis.bundleRuns]));`,
    ].join('\n');
    expect(JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }))).toEqual([true, 1]);
  });

  it('compiles with the code cache written for the same bundle', () => {
    writeBundle('a');
    const first = load();
    expect(first.usedCache).toBe(false);
    writeFileSync(cacheFile, codeCache(first));
    const second = load();
    expect(second.usedCache).toBe(true);
    expect(second.exports).toEqual({ value: 'a', dir });
  });

  it('ignores a code cache written for another bundle, even one of the same length', () => {
    writeBundle('a');
    writeFileSync(cacheFile, codeCache(load()));
    writeBundle('b', '// dfs-bundle-id: 4567abcd');
    const rebuilt = load();
    expect(rebuilt.usedCache).toBe(false);
    expect(rebuilt.exports).toEqual({ value: 'b', dir });
  });

  it('runs without a code cache, or without an id (then it cannot have one)', () => {
    writeBundle('a');
    expect(load()).toMatchObject({ usedCache: false, id: '0123abcd', exports: { value: 'a' } });
    writeBundle('a', '');
    const noId = load();
    expect(noId).toMatchObject({ usedCache: false, id: undefined, exports: { value: 'a' } });
    expect(() => codeCache(noId)).toThrow('no "// dfs-bundle-id:" line');
  });

  it('leaves nothing in the module cache when the bundle throws', () => {
    writeFileSync(bundleFile, 'throw new Error("broken bundle");\n');
    expect(() => load()).toThrow('broken bundle');
    expect(nodeRequire.cache[bundleFile]).toBeUndefined();
  });
});
