#!/usr/bin/env node
// `node dist/healthcheck.js [host:port]`: the coordinator's container health
// check (Docker HEALTHCHECK, compose, Kubernetes exec probes). The coordinator
// speaks only Connect/gRPC over HTTP/2 cleartext, which curl and wget in a slim
// image cannot, so the check is a real RPC: ListNodes, answered from the
// membership in memory (ClusterStatus would scan the metadata store on every
// probe). Exits 0 when it answers within the timeout, 1 otherwise, with one
// line on stderr either way (Docker keeps it in the container's health log).
import { ConfigError } from '@dfs/config';
import { createClientPool, noRetry } from '@dfs/client-pool';
import { CoordinatorService, NodeState } from '@dfs/proto';
import { loadCoordinatorConfig } from './coordinator-config.js';

/** Well under the probes' own timeouts (5 s), so this process reports before it is killed. */
const TIMEOUT_MS = 3_000;

/** The address the coordinator serves on, as this container reaches it: the app's own settings (env, then COORDINATOR_CONFIG). */
function configuredAddress(): string {
  const { host, port } = loadCoordinatorConfig(process.env);
  if (port === 0) throw new ConfigError(['COORDINATOR_PORT=0 picks a random port at start']);
  // A wildcard bind answers on loopback; the wildcard itself is not dialable.
  return `${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`;
}

async function check(address: string): Promise<string> {
  const pool = createClientPool({ policy: noRetry, timeoutMs: TIMEOUT_MS });
  const { nodes } = await pool.client(CoordinatorService, address).listNodes({}, { timeoutMs: TIMEOUT_MS });
  const healthy = nodes.filter((n) => n.state === NodeState.HEALTHY).length;
  // No datanodes is healthy for the coordinator: they start after it and register with it.
  return `coordinator ${address} is serving: ${healthy} of ${nodes.length} datanodes healthy`;
}

function exitWith(code: 0 | 1, line: string): never {
  process.stderr.write(`${line}\n`);
  // Exit without closing the HTTP/2 session: a stuck peer could hold a graceful close open.
  process.exit(code);
}

let address = process.argv[2];
try {
  address ??= configuredAddress();
} catch (err) {
  const detail = err instanceof ConfigError ? err.problems.join('; ') : String(err);
  exitWith(1, `coordinator healthcheck: cannot tell which address to check (${detail}); pass host:port as the argument`);
}
check(address).then(
  (line) => exitWith(0, line),
  (err: unknown) => exitWith(1, `coordinator ${address} is not healthy: ${err instanceof Error ? err.message : String(err)}`),
);
