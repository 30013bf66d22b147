// Scenarios (*.e2e.spec.ts) against one real cluster per file: by default
// local processes (a coordinator on etcd and six datanodes); with
// E2E_TARGET=compose the cluster of deploy/docker-compose.yml.
module.exports = require('../../tools/jest/jest.preset.cjs')('e2e', {
  testMatch: ['<rootDir>/src/**/*.e2e.spec.ts'],
  testTimeout: 300_000,
});
