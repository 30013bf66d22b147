import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess } from './managed-process.js';
import { workspaceRoot } from './workspace-root.js';

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
export async function startDatanodeProcess(options: StartDatanodeOptions = {}): Promise<DatanodeProcess> {
  const name = options.name ?? 'datanode';
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), `dfs-${name}-`)));
  const script = join(workspaceRoot(), 'apps/datanode/dist/main.js');
  if (!existsSync(script)) throw new Error(`${script} is missing: build it first (npx nx run datanode:build)`);
  const proc = new ManagedProcess<DatanodeReady>({
    name,
    script,
    args: options.args,
    logFile: options.logFile ?? `${dataDir}.log`,
    env: { DATANODE_HOST: '127.0.0.1', DATANODE_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info', LOG_FORMAT: 'json', ...options.env },
    readyWhen: (line) =>
      line['msg'] === 'datanode listening'
        ? { nodeId: String(line['nodeId']), address: String(line['address']), port: Number(line['port']) }
        : undefined,
  });
  const ready = await proc.start();
  // A restart comes back on the same address, as a real node would.
  proc.options.env!['DATANODE_PORT'] ??= String(ready.port);
  if (proc.options.env!['DATANODE_PORT'] === '0') proc.options.env!['DATANODE_PORT'] = String(ready.port);
  return Object.assign(proc, { dataDir });
}
