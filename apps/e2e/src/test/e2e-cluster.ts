// The cluster a scenario file runs against, the same API either way:
// - local (default): real processes on 127.0.0.1 from the test-cluster
//   toolkit, one coordinator on etcd and six datanodes, like the compose file;
// - compose (E2E_TARGET=compose): the services of deploy/docker-compose.yml,
//   already up (scripts/run-compose.sh), driven with the docker CLI; the
//   runner itself runs inside the compose network so datanode addresses resolve.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createDfsClient } from '@dfs/sdk';
import { chunkIdsIn, corruptChunkFile, startCluster, type StartClusterOptions, type TestCluster } from '@dfs/test-cluster';

const run = promisify(execFile);

export interface E2eNode {
  readonly nodeId: string;
  readonly address: string;
  /** SIGKILL. */
  kill(): Promise<void>;
  /** SIGSTOP until resume(). */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Starts it again (same address, same data) after kill(). */
  start(): Promise<void>;
  /** Chunk ids stored on its disk. */
  chunkIds(): Promise<string[]>;
  /** Flips bytes in the stored data of a chunk, as a failing disk would. */
  corrupt(chunkId: string): Promise<void>;
}

export interface E2eCluster {
  readonly coordinator: string;
  readonly datanodes: E2eNode[];
  /** SIGKILL the coordinator and start it again on the same metadata. */
  restartCoordinator(): Promise<void>;
  /** Every datanode running and listed healthy (after a scenario killed or paused some). */
  heal(): Promise<void>;
  /** Where to look when something failed. */
  readonly logs: string[];
  stop(): Promise<void>;
}

export type E2eClusterOptions = Pick<StartClusterOptions, 'coordinatorEnv' | 'datanodeEnv' | 'zones' | 'chunkSize'> & { name: string; datanodes?: number };

export function startE2eCluster(options: E2eClusterOptions): Promise<E2eCluster> {
  return process.env['E2E_TARGET'] === 'compose' ? composeCluster() : localCluster(options);
}

async function localCluster(options: E2eClusterOptions): Promise<E2eCluster> {
  const cluster: TestCluster = await startCluster({ datanodes: 6, metadata: 'etcd', replication: 3, ...options });
  return {
    coordinator: cluster.coordinator.address,
    datanodes: cluster.datanodes.map((d) => ({
      nodeId: d.nodeId,
      address: d.address,
      kill: () => d.kill(),
      pause: () => d.pause(),
      resume: () => d.resume(),
      start: () => d.restart(),
      chunkIds: () => chunkIdsIn(d.dataDir),
      corrupt: (chunkId) => corruptChunkFile(d.dataDir, chunkId),
    })),
    async restartCoordinator() {
      await cluster.coordinator.process.kill('SIGKILL');
      await cluster.coordinator.process.restart();
    },
    async heal() {
      for (const d of cluster.datanodes) {
        if (d.process.running) await d.resume();
        else await d.restart();
      }
      await cluster.waitForHealthy();
    },
    logs: cluster.logFiles,
    stop: () => cluster.stop(),
  };
}

/** Run inside a datanode container: flips 16 bytes of a chunk's data (past its 256-byte header). */
const FLIP_BYTES = `
const fs = require('node:fs'), path = require('node:path');
const find = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? find(path.join(d, e.name)) : [path.join(d, e.name)]);
const file = find(path.join(process.env.DATA_DIR, 'chunks')).find((f) => f.endsWith(process.argv[1] + '.chunk'));
if (!file) { console.error('no such chunk'); process.exit(1); }
const fd = fs.openSync(file, 'r+'); const b = Buffer.alloc(16); fs.readSync(fd, b, 0, 16, 356);
for (let i = 0; i < 16; i++) b[i] ^= 0xff; fs.writeSync(fd, b, 0, 16, 356); fs.closeSync(fd);`;

/** The compose project's services: `coordinator` and `datanode-1` … `datanode-6` (deploy/docker-compose.yml). */
async function composeCluster(): Promise<E2eCluster> {
  const file = process.env['E2E_COMPOSE_FILE'] ?? '../../deploy/docker-compose.yml';
  const compose = async (...args: string[]) => (await run('docker', ['compose', '-f', file, ...args], { maxBuffer: 16 * 1024 * 1024 })).stdout;
  const coordinator = process.env['E2E_COORDINATOR'] ?? 'coordinator:8080';
  const client = createDfsClient({ coordinators: coordinator });
  const nodes = await client.nodes();
  await client.close();
  const serviceOf = (address: string) => address.slice(0, address.lastIndexOf(':'));
  const datanodes: E2eNode[] = nodes.map((n) => {
    const service = serviceOf(n.address);
    return {
      nodeId: n.nodeId,
      address: n.address,
      kill: async () => void (await compose('kill', '-s', 'SIGKILL', service)),
      pause: async () => void (await compose('pause', service)),
      resume: async () => void (await compose('unpause', service)),
      start: async () => void (await compose('start', service)),
      chunkIds: async () =>
        (await compose('exec', '-T', service, 'sh', '-c', 'find "$DATA_DIR/chunks" -name "*.chunk"'))
          .split('\n')
          .filter(Boolean)
          .map((f) => f.slice(f.lastIndexOf('/') + 1, -'.chunk'.length)),
      corrupt: async (chunkId) => void (await compose('exec', '-T', service, 'node', '-e', FLIP_BYTES, chunkId)),
    };
  });
  return {
    coordinator,
    datanodes,
    async restartCoordinator() {
      await compose('kill', '-s', 'SIGKILL', 'coordinator');
      await compose('up', '-d', '--wait', 'coordinator');
    },
    async heal() {
      await compose('unpause', ...datanodes.map((d) => serviceOf(d.address))).catch(() => undefined);
      await compose('up', '-d', '--wait');
    },
    logs: [`docker compose -f ${file} logs`],
    stop: async () => undefined, // scripts/run-compose.sh brings the project down
  };
}
