#!/usr/bin/env node
// Assembles what one DFS app needs at run time, for its runtime image (see Dockerfile):
//
//   node collect-runtime-files.cjs apps/<app> PROD BUILD OUT
//
// PROD  a tree after `npm ci --omit=dev --workspace apps/<app>`: the package.json
//       files and the production node_modules (plus any workspace-local ones).
// BUILD the tree where the apps were built: each workspace's dist/ (and bin/).
// OUT   gets node_modules, and package.json + dist (+ bin, + own node_modules) of
//       the app and of every workspace its `dependencies` reach through @dfs/*.
//
// Workspaces are followed through package.json rather than taken from what npm
// linked, because npm links every workspace the app names, also the ones it
// needs only for its tests (test tools); those links are removed.
'use strict';
const { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const [app, prod, build, out] = process.argv.slice(2);
if (!out) {
  process.stderr.write('usage: collect-runtime-files.cjs apps/<app> PROD BUILD OUT\n');
  process.exit(64);
}

const copy = (from, to) => cpSync(from, to, { recursive: true, verbatimSymlinks: true });
copy(join(prod, 'node_modules'), join(out, 'node_modules'));

// @dfs/<name> → the workspace folder its link points at (npm writes ../../libs/<name>).
const linkDir = join(out, 'node_modules/@dfs');
const workspaceOf = new Map(readdirSync(linkDir).map((name) => [`@dfs/${name}`, readlinkSync(join(linkDir, name)).replace(/^(\.\.\/)+/, '')]));

const needed = new Set();
(function visit(dir) {
  if (needed.has(dir)) return;
  needed.add(dir);
  const { dependencies = {} } = JSON.parse(readFileSync(join(prod, dir, 'package.json'), 'utf8'));
  for (const name of Object.keys(dependencies)) if (workspaceOf.has(name)) visit(workspaceOf.get(name));
})(app);

for (const dir of needed) {
  if (!existsSync(join(build, dir, 'dist'))) throw new Error(`${dir}/dist is missing in ${build}: build ${app} first`);
  mkdirSync(join(out, dir), { recursive: true });
  copy(join(prod, dir, 'package.json'), join(out, dir, 'package.json'));
  copy(join(build, dir, 'dist'), join(out, dir, 'dist'));
  for (const [from, sub] of [[build, 'bin'], [prod, 'node_modules']]) {
    if (existsSync(join(from, dir, sub))) copy(join(from, dir, sub), join(out, dir, sub));
  }
}
for (const [name, dir] of workspaceOf) {
  if (!needed.has(dir)) rmSync(join(out, 'node_modules', name));
}

// better-sqlite3 compiles from source when no prebuilt binary fits: keep the
// addon, drop the compiler's leftovers and SQLite's sources (about 25 MB).
const sqlite = join(out, 'node_modules/better-sqlite3');
if (existsSync(join(sqlite, 'build/Release'))) {
  for (const sub of ['deps', 'src']) rmSync(join(sqlite, sub), { recursive: true, force: true });
  for (const entry of readdirSync(join(sqlite, 'build'))) if (entry !== 'Release') rmSync(join(sqlite, 'build', entry), { recursive: true, force: true });
  for (const entry of readdirSync(join(sqlite, 'build/Release'))) {
    if (entry !== 'better_sqlite3.node') rmSync(join(sqlite, 'build/Release', entry), { recursive: true, force: true });
  }
}
process.stderr.write(`collected ${app} with ${[...needed].filter((d) => d !== app).sort().join(', ')}\n`);
