import type { ManagedProcess } from './managed-process.js';
import { startAppProcess } from './start-app-process.js';

export interface DatanodeReady {
  nodeId: string;
  address: string;
  port: number;
}

export interface StartDatanodeOptions {
  /** Default "datanode". */
  name?: string;
  /** Default: a new temp directory. Reuse one to restart a node on its data. */
  dataDir?: string;
  /** Default: `<dataDir>/../<name>.log`. */
  logFile?: string;
  /** Extra environment (DATANODE_*, LOG_LEVEL …). The port is always ephemeral unless set here. */
  env?: Record<string, string>;
  /** Command-line arguments, e.g. ['--config', file]. */
  args?: string[];
}

export type DatanodeProcess = ManagedProcess<DatanodeReady> & { readonly dataDir: string };

/** Starts the built datanode (apps/datanode/dist/main.js) on 127.0.0.1 and a free port; resolves when it listens. */
export function startDatanodeProcess(options: StartDatanodeOptions = {}): Promise<DatanodeProcess> {
  return startAppProcess<DatanodeReady>({
    app: 'datanode',
    name: options.name ?? 'datanode',
    dataDir: options.dataDir,
    logFile: options.logFile,
    args: options.args,
    env: { DATANODE_HOST: '127.0.0.1' },
    overrides: options.env,
    portVariable: 'DATANODE_PORT',
    readyWhen: (line) =>
      line['msg'] === 'datanode listening' ? { nodeId: String(line['nodeId']), address: String(line['address']), port: Number(line['port']) } : undefined,
  });
}
