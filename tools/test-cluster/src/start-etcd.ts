import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ManagedProcess, addressInUse } from './managed-process.js';

export interface StartEtcdOptions {
  /** Default: a new temp directory, removed again by stop(). Reuse one to restart etcd on its data. */
  dataDir?: string;
  /** Default "etcd"; shown in errors and the log file name. */
  name?: string;
  /** Default: `<dataDir>.log`. */
  logFile?: string;
  /** Default 20 000 ms: a cold etcd on a loaded 2-core box takes a few seconds. */
  startTimeoutMs?: number;
}

export interface EtcdServer {
  /** Client URL, e.g. "http://127.0.0.1:41234" (what Etcd3({ hosts }) takes). */
  endpoint: string;
  dataDir: string;
  process: ManagedProcess<true>;
  /** Stops etcd (SIGTERM, then SIGKILL) and removes a data directory it created. */
  stop(): Promise<void>;
}

/**
 * A single-member etcd on free loopback ports with a temp data directory, for
 * tests and local clusters. It is always stopped: by stop(), by
 * stopAllProcesses(), or when the test process exits.
 */
export async function startEtcd(options: StartEtcdOptions = {}): Promise<EtcdServer> {
  const command = findOnPath('etcd');
  if (!command) {
    throw new Error('etcd is not on PATH: install it (apt-get install etcd-server) to run the etcd tests');
  }
  const name = options.name ?? 'etcd';
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), `dfs-${name}-`)));
  // freePorts() closes its listeners before etcd binds: another process may
  // take a port in between. Such a start is tried again on fresh ports.
  for (let attempt = 1; ; attempt++) {
    const [clientPort, peerPort] = await freePorts(2);
    const clientUrl = `http://127.0.0.1:${clientPort}`;
    const proc = etcdProcess(command, name, dataDir, clientUrl, `http://127.0.0.1:${peerPort}`, options);
    try {
      await proc.start();
      // A restart (process.restart()) keeps these ports: tried again a few times while one is taken.
      proc.options.retryStart = { when: addressInUse, attempts: 5, delayMs: 500 };
    } catch (err) {
      if (attempt < PORT_ATTEMPTS && addressInUse(await proc.startLog())) continue;
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
      throw err;
    }
    return {
      endpoint: clientUrl,
      dataDir,
      process: proc,
      async stop() {
        await proc.stop();
        if (ownDir) await rm(dataDir, { recursive: true, force: true });
      },
    };
  }
}

/** Starts of startEtcd, each on fresh ports, while the ports turn out to be taken. */
const PORT_ATTEMPTS = 5;

function etcdProcess(command: string, name: string, dataDir: string, clientUrl: string, peerUrl: string, options: StartEtcdOptions): ManagedProcess<true> {
  return new ManagedProcess<true>({
    name,
    script: '',
    command,
    args: [
      `--name=${name}`,
      `--data-dir=${join(dataDir, 'data')}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=${name}=${peerUrl}`,
      '--initial-cluster-state=new',
      '--logger=zap',
      '--log-outputs=stderr',
    ],
    logFile: options.logFile ?? `${dataDir}.log`,
    startTimeoutMs: options.startTimeoutMs ?? 20_000,
    // etcd 3.4 logs this once the client listener accepts requests.
    readyWhen: (line) => {
      const msg = String(line['msg'] ?? '');
      return msg.startsWith('serving client traffic') || msg.startsWith('serving insecure client requests') ? true : undefined;
    },
  });
}

/** Ports the kernel hands out for port 0; all listeners stay open until every port is known, so they differ. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

function findOnPath(binary: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}
