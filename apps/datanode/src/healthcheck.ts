#!/usr/bin/env node
// `node dist/healthcheck.js [host:port]`: the datanode's container health
// check (Docker HEALTHCHECK, compose, Kubernetes exec probes). The datanode
// speaks only Connect/gRPC over HTTP/2 cleartext, which curl and wget in a slim
// image cannot, so the check is its Health RPC, which also reads the chunk
// store's free space (a dead disk fails it). A node that answers "draining"
// is shutting down and refuses writes, so it counts as unhealthy: Kubernetes
// stops routing to it while running writes finish. Exits 0 or 1, with one
// line on stderr either way (Docker keeps it in the container's health log).
import { ConfigError } from '@dfs/config';
import { createClientPool, noRetry } from '@dfs/client-pool';
import { DatanodeService } from '@dfs/proto';
import { loadDatanodeConfig } from './datanode-config.js';

/** Well under the probes' own timeouts (5 s), so this process reports before it is killed. */
const TIMEOUT_MS = 3_000;

/** Where the node listens, as this container reaches it: its own settings (env, then DATANODE_CONFIG), not the advertised address, which may name another interface. */
function listenAddress(): string {
  const { host, port } = loadDatanodeConfig(process.env);
  if (port === 0) throw new ConfigError(['DATANODE_PORT=0 picks a random port at start']);
  // A wildcard bind answers on loopback; the wildcard itself is not dialable.
  return `${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`;
}

async function check(address: string): Promise<{ ok: boolean; line: string }> {
  const pool = createClientPool({ policy: noRetry, timeoutMs: TIMEOUT_MS });
  const health = await pool.client(DatanodeService, address).health({}, { timeoutMs: TIMEOUT_MS });
  const chunks = health.stats ? `, ${health.stats.chunkCount} chunks, ${health.stats.activeTransfers} transfers` : '';
  return { ok: health.status === 'serving', line: `datanode ${address} (${health.nodeId}) is ${health.status}${chunks}` };
}

function exitWith(ok: boolean, line: string): never {
  process.stderr.write(`${line}\n`);
  // Exit without closing the HTTP/2 session: a stuck peer could hold a graceful close open.
  process.exit(ok ? 0 : 1);
}

let address = process.argv[2];
try {
  address ??= listenAddress();
} catch (err) {
  const detail = err instanceof ConfigError ? err.problems.join('; ') : String(err);
  exitWith(false, `datanode healthcheck: cannot tell which address to check (${detail}); pass host:port as the argument`);
}
check(address).then(
  ({ ok, line }) => exitWith(ok, line),
  (err: unknown) => exitWith(false, `datanode ${address} is not healthy: ${err instanceof Error ? err.message : String(err)}`),
);
