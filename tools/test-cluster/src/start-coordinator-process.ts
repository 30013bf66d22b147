import type { ManagedProcess } from './managed-process.js';
import { startAppProcess } from './start-app-process.js';

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
export function startCoordinatorProcess(options: StartCoordinatorOptions = {}): Promise<CoordinatorProcess> {
  return startAppProcess<CoordinatorReady>({
    app: 'coordinator',
    name: options.name ?? 'coordinator',
    dataDir: options.dataDir,
    logFile: options.logFile,
    env: { COORDINATOR_HOST: '127.0.0.1' },
    overrides: options.env,
    portVariable: 'COORDINATOR_PORT',
    readyWhen: (line) => (line['msg'] === 'coordinator listening' ? { address: String(line['address']), port: Number(line['port']) } : undefined),
  });
}
