#!/usr/bin/env node
// `npm start`: a local DFS on this machine, in the foreground: one
// coordinator on the embedded metadata store and three datanodes, data under
// ./.dfs/. Ctrl-C stops every process cleanly; starting again finds the
// files stored before.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManagedProcess } from './managed-process.js';
import { startCoordinatorProcess } from './start-coordinator-process.js';
import { startDatanodeProcess } from './start-datanode-process.js';
import { stopAllProcesses } from './managed-process.js';
import { workspaceRoot } from './workspace-root.js';

const DATANODES = 3;
const COORDINATOR_PORT = Number(process.env['DFS_LOCAL_COORDINATOR_PORT'] ?? 8080);
const FIRST_PORT = Number(process.env['DFS_LOCAL_FIRST_PORT'] ?? 9101);

async function main(): Promise<void> {
  const base = join(process.cwd() === workspaceRoot() ? workspaceRoot() : process.cwd(), '.dfs');
  await mkdir(base, { recursive: true });
  const coordinator = await startCoordinatorProcess({
    dataDir: join(base, 'coordinator'),
    logFile: join(base, 'coordinator.log'),
    env: { COORDINATOR_PORT: String(COORDINATOR_PORT), METADATA_BACKEND: 'embedded' },
  });
  process.stdout.write(`coordinator  up  ${coordinator.ready!.address}  metadata ${coordinator.dataDir}  log ${coordinator.options.logFile}\n`);
  const nodes: ManagedProcess<unknown>[] = [coordinator as ManagedProcess<unknown>];
  for (let i = 1; i <= DATANODES; i++) {
    const node = await startDatanodeProcess({
      name: `datanode-${i}`,
      dataDir: join(base, `datanode-${i}`),
      logFile: join(base, `datanode-${i}.log`),
      env: { DATANODE_PORT: String(FIRST_PORT + i - 1), DATANODE_COORDINATORS: coordinator.ready!.address },
    });
    nodes.push(node as ManagedProcess<unknown>);
    process.stdout.write(`datanode-${i}  up  ${node.ready!.address}  node ${node.ready!.nodeId}  data ${node.dataDir}  log ${node.options.logFile}\n`);
  }
  process.stdout.write(
    `\nDFS running: coordinator ${coordinator.ready!.address}, ${DATANODES} datanodes on 127.0.0.1:${FIRST_PORT}-${FIRST_PORT + DATANODES - 1} (gRPC and Connect over h2c).\n` +
      'Try it from another shell in this directory:\n' +
      '  echo hello | npx dfs put - /hello.txt\n' +
      '  npx dfs ls -l /\n' +
      '  npx dfs get /hello.txt -\n' +
      '  npx dfs status\n' +
      'Ctrl-C stops everything; files stay in .dfs/ for the next start.\n',
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping...\n');
    // Datanodes first (they finish writes), then the coordinator.
    const [coord, ...datanodes] = nodes;
    await Promise.all(datanodes.map(async (n) => process.stdout.write(`${n.options.name}  stopped  ${JSON.stringify(await n.stop())}\n`)));
    process.stdout.write(`${coord!.options.name}  stopped  ${JSON.stringify(await coord!.stop())}\n`);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  // A node that dies on its own is reported, not silently left down.
  for (const n of nodes) {
    void n.waitForExit().then((exit) => {
      if (!stopping) process.stdout.write(`${n.options.name}  EXITED  ${JSON.stringify(exit)}; see ${n.options.logFile}\n`);
    });
  }
}

main().catch(async (err) => {
  process.stderr.write(`local cluster failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  await stopAllProcesses();
  process.exit(1);
});
