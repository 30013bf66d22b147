import { readFileSync, realpathSync } from 'node:fs';
import { Module, createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script, constants } from 'node:vm';

/** The bundle, and how it was compiled. */
export interface LoadedBundle {
  /** Its `module.exports`. */
  exports: unknown;
  /** The id on its last line (its SHA-256, see scripts/bundle-cli.cjs), or undefined when it has none. */
  id: string | undefined;
  /** The compiled script, from which the build writes the code cache (see {@link codeCache}). */
  script: Script;
  /** True when V8 took the code cache instead of compiling the source. */
  usedCache: boolean;
}

/** The last line of a bundle: its id, which the first line of its code cache repeats. */
const BUNDLE_ID_LINE = /\n\/\/ dfs-bundle-id: ([0-9a-f]+)\n?$/;

/**
 * Requires `file`, a CommonJS bundle, as `require` would, but compiled with
 * the V8 code cache in `cacheFile` when there is one made for it: V8 then
 * skips parsing and compiling what the cache holds, about 40 ms of every
 * start of `dfs` (issue 7). Node 20 has no compile cache of its own
 * (module.enableCompileCache is Node 22).
 *
 * The module goes into require.cache under `file`, so a later
 * `require(file)` (oclif's, to find the commands) gets the same exports.
 * The cache is used only when its first line names the id on the bundle's
 * last line: V8 checks the cache against the source's length, not its
 * content, and would run stale code for a rebuilt bundle of the same length.
 * A missing, stale or rejected cache (another Node version) only costs time.
 */
export function loadBundle(bundleFile: string, cacheFile: string): LoadedBundle {
  // The key require.cache has for it, whatever symlinks lead there.
  const file = realpathSync(bundleFile);
  const source = readFileSync(file, 'utf8');
  const id = BUNDLE_ID_LINE.exec(source.slice(-200))?.[1];
  const cachedData = id === undefined ? undefined : cacheFor(id, cacheFile);
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
    // `import()` in the bundle (oclif's, for ESM plugins) resolves as in any
    // module; vm.constants is Node 20.12+, and without it only import() fails.
    importModuleDynamically: (constants as Partial<typeof constants> | undefined)?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const mod = new Module(file);
  mod.filename = file;
  // Node's require for the bundle; its `cache` is Node's module cache (also under jest).
  const bundleRequire = createRequire(file);
  bundleRequire.cache[file] = mod;
  try {
    const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
    wrapper.call(mod.exports, mod.exports, bundleRequire, mod, file, dirname(file));
  } catch (err) {
    delete bundleRequire.cache[file];
    throw err;
  }
  mod.loaded = true;
  return { exports: mod.exports, id, script, usedCache: cachedData !== undefined && !script.cachedDataRejected };
}

/**
 * What the code cache file of `bundle` holds: a line with the bundle's id,
 * then V8's data for every function compiled so far, so the build runs the
 * bundle a little first (scripts/write-code-cache.cjs).
 */
export function codeCache(bundle: LoadedBundle): Buffer {
  if (bundle.id === undefined) throw new Error('the bundle has no "// dfs-bundle-id:" line at its end');
  return Buffer.concat([Buffer.from(cacheHeader(bundle.id), 'latin1'), bundle.script.createCachedData()]);
}

/** V8's data in `cacheFile` if it was made for the bundle `id`, else undefined (also when there is no such file). */
function cacheFor(id: string, cacheFile: string): Buffer | undefined {
  let cache: Buffer;
  try {
    cache = readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  const header = cacheHeader(id);
  return cache.subarray(0, header.length).toString('latin1') === header ? cache.subarray(header.length) : undefined;
}

function cacheHeader(id: string): string {
  return `dfs-bundle-id: ${id}\n`;
}
