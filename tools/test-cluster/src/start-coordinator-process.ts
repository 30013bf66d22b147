import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess } from './managed-process.js';
import { workspaceRoot } from './workspace-root.js';

export interface CoordinatorReady {
  address: string;
  port: number;
}

export interface StartCoordinatorOptions {
  /** Default "coordinator". */
  name?: string;
  /** Default: a new temp directory. Reuse one to restart on the same embedded metadata. */
  dataDir?: string;
  logFile?: string;
  /** METADATA_BACKEND, ETCD_ENDPOINTS, DFS_* timings … The port is ephemeral unless set here. */
  env?: Record<string, string>;
}

export type CoordinatorProcess = ManagedProcess<CoordinatorReady> & { readonly dataDir: string };

/** Starts the built coordinator (apps/coordinator/dist/main.js) on 127.0.0.1; resolves when it listens. */
export async function startCoordinatorProcess(options: StartCoordinatorOptions = {}): Promise<CoordinatorProcess> {
  const name = options.name ?? 'coordinator';
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), `dfs-${name}-`)));
  const script = join(workspaceRoot(), 'apps/coordinator/dist/main.js');
  if (!existsSync(script)) throw new Error(`${script} is missing: build it first (npx nx run coordinator:build)`);
  const proc = new ManagedProcess<CoordinatorReady>({
    name,
    script,
    logFile: options.logFile ?? `${dataDir}.log`,
    env: { COORDINATOR_HOST: '127.0.0.1', COORDINATOR_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info', LOG_FORMAT: 'json', ...options.env },
    readyWhen: (line) => (line['msg'] === 'coordinator listening' ? { address: String(line['address']), port: Number(line['port']) } : undefined),
  });
  const ready = await proc.start();
  // A restart comes back on the same address, so datanodes find it again.
  if (proc.options.env!['COORDINATOR_PORT'] === '0') proc.options.env!['COORDINATOR_PORT'] = String(ready.port);
  return Object.assign(proc, { dataDir });
}
