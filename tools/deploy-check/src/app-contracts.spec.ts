import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXTRA_SERVICE_ENV, loadAppContracts } from './app-contracts.js';
import { REPO_ROOT } from './load-deploy-files.js';

describe('loadAppContracts', () => {
  const apps = loadAppContracts(REPO_ROOT);

  it('takes the services’ variables from their env maps, and the CLI’s from its lookups', () => {
    for (const name of ['DATANODE_PORT', 'DATANODE_ADVERTISE_ADDRESS', 'DATA_DIR', 'DATANODE_SHUTDOWN_GRACE']) expect(apps.datanode.env.has(name)).toBe(true);
    for (const name of ['COORDINATOR_PORT', 'METADATA_BACKEND', 'ETCD_ENDPOINTS']) expect(apps.coordinator.env.has(name)).toBe(true);
    expect(apps.coordinator.env.has('DATANODE_PORT')).toBe(false);
    expect(apps.cli.env.has('DFS_COORDINATOR')).toBe(true);
  });

  it('resolves settings as the app does, defaults included, and refuses what the app refuses', () => {
    expect(apps.datanode.load!({ DATANODE_PORT: '9101' })).toMatchObject({ port: 9101, host: '127.0.0.1', shutdownGraceMs: 10_000 });
    expect(() => apps.coordinator.load!({ METADATA_BACKEND: 'etcd' })).toThrow(/ETCD_ENDPOINTS/);
  });

  it('allows only extra variables the built code still reads', () => {
    const built = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
    expect(built('libs/logging/dist/create-logger.js')).toMatch(/process\.env\[['"]LOG_FORMAT['"]\]/);
    expect(EXTRA_SERVICE_ENV.coordinator).toEqual(['COORDINATOR_CONFIG', 'LOG_FORMAT']);
    expect(built('apps/coordinator/dist/coordinator-config.js')).toMatch(/fileEnvVar: ['"]COORDINATOR_CONFIG['"]/);
    expect(EXTRA_SERVICE_ENV.datanode).toEqual(['DATANODE_CONFIG', 'LOG_FORMAT']);
    expect(built('apps/datanode/dist/datanode-config.js')).toMatch(/fileEnvVar: ['"]DATANODE_CONFIG['"]/);
  });
});
