#!/usr/bin/env node
// Bundles the compiled CLI (dist/main.js, after `tsc`) and everything it
// requires into dist/dfs.js, the file bin/run.js loads (the build target runs
// this). Why: `dfs ls` required about 400 modules, and Node spent more time
// resolving, reading and compiling them than listing takes (issue 7); in one
// file that work happens once, and one file can have a V8 code cache
// (scripts/write-code-cache.cjs).
//
// The bundle ends with a line holding its SHA-256, which its code cache
// repeats (see src/load-bundle.ts for why).
const { createHash } = require('node:crypto');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const esbuild = require('esbuild');

const root = join(__dirname, '..');
const outfile = join(root, 'dist', 'dfs.js');

async function main() {
  const result = await esbuild.build({
    entryPoints: [join(root, 'dist', 'main.js')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    write: false,
    // oclif requires TypeScript only in development (NODE_ENV=development or
    // test), to map dist/ to src/; it must come from node_modules then, not
    // add 9 MB to every start.
    external: ['typescript'],
    logLevel: 'warning',
  });
  const code = result.outputFiles[0].text;
  const id = createHash('sha256').update(code).digest('hex');
  writeFileSync(outfile, `${code}\n// dfs-bundle-id: ${id}\n`);
  process.stderr.write(`wrote ${outfile} (${(code.length / 1024 / 1024).toFixed(1)} MiB)\n`);
}

main().catch((err) => {
  process.stderr.write(`bundle-cli: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
