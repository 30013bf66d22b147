import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICE_NODE_ARGS } from '@dfs/config';
import { ManagedProcess, addressInUse } from './managed-process.js';
import { workspaceRoot } from './workspace-root.js';

export interface StartAppOptions<Ready extends { port: number }> {
  /** The app under apps/ whose dist/main.js runs. */
  app: 'datanode' | 'coordinator';
  name: string;
  /** Default: a new temp directory. Reuse one to restart on the same data. */
  dataDir?: string;
  /** Default: `<dataDir>.log`. */
  logFile?: string;
  /** The app's own variables; the caller's `overrides` win over them. */
  env: Record<string, string>;
  overrides?: Record<string, string>;
  args?: string[];
  /** The variable holding the listen port: pinned to the bound port after the first start, so a restart keeps its address. */
  portVariable: string;
  readyWhen: (line: Record<string, unknown>) => Ready | undefined;
}

/** Starts a built DFS app (with SERVICE_NODE_ARGS) on 127.0.0.1 and resolves when its log says it listens. */
export async function startAppProcess<Ready extends { port: number }>(o: StartAppOptions<Ready>): Promise<ManagedProcess<Ready> & { readonly dataDir: string }> {
  const dataDir = o.dataDir ?? (await mkdtemp(join(tmpdir(), `dfs-${o.name}-`)));
  const script = join(workspaceRoot(), `apps/${o.app}/dist/main.js`);
  if (!existsSync(script)) throw new Error(`${script} is missing: build it first (npx nx run ${o.app}:build)`);
  const proc = new ManagedProcess<Ready>({
    name: o.name,
    script,
    // The flags production runs with: tests and benchmarks see the same GC.
    nodeArgs: SERVICE_NODE_ARGS,
    args: o.args,
    logFile: o.logFile ?? `${dataDir}.log`,
    env: { [o.portVariable]: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info', LOG_FORMAT: 'json', ...o.env, ...o.overrides },
    readyWhen: o.readyWhen,
    // A restart keeps its port (peers know the address), and another process
    // may have been given it meanwhile, e.g. as the local port of a
    // connection: tried again a few times, as it is usually a short while.
    retryStart: { when: addressInUse, attempts: 5, delayMs: 500 },
  });
  const ready = await proc.start();
  if (proc.options.env![o.portVariable] === '0') proc.options.env![o.portVariable] = String(ready.port);
  return Object.assign(proc, { dataDir });
}
