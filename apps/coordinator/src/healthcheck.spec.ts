import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { freePorts, startCoordinatorProcess, stopAllProcesses, type CoordinatorProcess } from '@dfs/test-cluster';

// The built script against a real coordinator process, run the way Docker and
// Kubernetes run it: a fresh node process, judged by its exit code.
jest.setTimeout(60_000);

const SCRIPT = join(__dirname, '../dist/healthcheck.js');

/** Only the variables given, so nothing from the test's own environment leaks in. */
function healthcheck(args: string[], env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, [SCRIPT, ...args], { env, encoding: 'utf8', timeout: 20_000 });
  return { code: run.status, stderr: run.stderr };
}

describe('coordinator healthcheck', () => {
  let coord: CoordinatorProcess;

  beforeAll(async () => {
    // Bound to the wildcard, as in a container.
    coord = await startCoordinatorProcess({ name: 'healthcheck-coordinator', env: { METADATA_BACKEND: 'memory', COORDINATOR_HOST: '0.0.0.0' } });
  });

  afterAll(async () => {
    await stopAllProcesses();
    if (coord) await rm(coord.dataDir, { recursive: true, force: true });
  });

  it('exits 0 when the coordinator answers, at the address its own variables name (wildcard → loopback)', () => {
    const result = healthcheck([], { COORDINATOR_HOST: '0.0.0.0', COORDINATOR_PORT: String(coord.ready!.port) });
    expect(result).toEqual({ code: 0, stderr: `coordinator 127.0.0.1:${coord.ready!.port} is serving: 0 of 0 datanodes healthy\n` });
  });

  it('exits 0 for an address given as the argument', () => {
    expect(healthcheck([`127.0.0.1:${coord.ready!.port}`]).code).toBe(0);
  });

  it('exits 1 naming the address when nothing listens there', async () => {
    const [closed] = await freePorts(1);
    const result = healthcheck([], { COORDINATOR_PORT: String(closed) });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^coordinator 127\\.0\\.0\\.1:${closed} is not healthy: .*ECONNREFUSED.*\\n$`));
  });

  it('exits 1 within its timeout when the coordinator hangs (SIGSTOP)', async () => {
    await coord.pause();
    try {
      // Exit 1 on its own deadline: a script that hung would be killed by
      // spawnSync's timeout instead (no exit code), and its deadline is why
      // it gives up. No bound on the time itself: a loaded machine is slower.
      const result = healthcheck([`127.0.0.1:${coord.ready!.port}`]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/is not healthy: \[deadline_exceeded\]/);
    } finally {
      await coord.resume();
    }
  });

  it('exits 1 with what to do when the settings give no usable address', () => {
    const result = healthcheck([], { COORDINATOR_PORT: 'http' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^coordinator healthcheck: cannot tell which address to check \(COORDINATOR_PORT="http": .*\); pass host:port as the argument\n$/);
  });
});
