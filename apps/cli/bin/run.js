#!/usr/bin/env node
// The `dfs` binary. dist/dfs.js is the whole CLI in one file, loaded with its
// V8 code cache (src/load-bundle.ts), because requiring hundreds of modules
// took most of every start (issue 7); oclif then finds the commands in its
// COMMANDS export (package.json oclif.commands). `npx nx build cli` makes both
// files.
const { join } = require('node:path');
const { loadBundle } = require('../dist/load-bundle.js');

const dist = join(__dirname, '..', 'dist');
loadBundle(join(dist, 'dfs.js'), join(dist, 'dfs.js.cache')).exports.main(__dirname);
