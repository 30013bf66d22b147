// Unit tests (*.spec.ts) and the integration tests against a real cluster
// (*.cluster.spec.ts, which run the built bin/run.js as a child process).
module.exports = require('../../tools/jest/jest.preset.cjs')('cli');
