#!/usr/bin/env node
// Writes dist/dfs.js.cache, the V8 code cache of the bundle (the build target
// runs this after bundle-cli.cjs). With it, bin/run.js skips most parsing and
// compiling on every start (issue 7; see src/load-bundle.ts). The cache holds
// what was compiled before it was written, so this first runs what every
// start runs, oclif loading its config and finding the commands, here for
// `dfs --version` (its output dropped). A command's own code compiles as it
// runs; caching it too (after a real `dfs ls -l`) gained nothing measurable.
const { rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { codeCache, loadBundle } = require('../dist/load-bundle.js');

const root = join(__dirname, '..');
const bundleFile = join(root, 'dist', 'dfs.js');
const cacheFile = join(root, 'dist', 'dfs.js.cache');

async function main() {
  // Compile from source: a cache from an earlier build is not the one to extend.
  rmSync(cacheFile, { force: true });
  const bundle = loadBundle(bundleFile, cacheFile);
  const write = process.stdout.write;
  process.stdout.write = () => true;
  try {
    await bundle.exports.main(join(root, 'bin'), ['--version']);
  } finally {
    process.stdout.write = write;
  }
  const cache = codeCache(bundle);
  writeFileSync(cacheFile, cache);
  process.stderr.write(`wrote ${cacheFile} (${(cache.length / 1024).toFixed(0)} KiB)\n`);
}

main().catch((err) => {
  process.stderr.write(`write-code-cache: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
