#!/usr/bin/env node
// The datanode binary: config from env (+ optional YAML via --config FILE),
// pino JSON logs to stderr, graceful shutdown on SIGTERM/SIGINT.
// First: sizes libuv's thread pool before anything can start it.
import './thread-pool-size.js';
import { loadConfigOrExit } from '@dfs/config';
import { createLogger, stopOnSignals } from '@dfs/logging';
import { loadDatanodeConfig } from './datanode-config.js';
import { startDatanode } from './start-datanode.js';

async function main(): Promise<void> {
  const flag = process.argv.indexOf('--config');
  const config = loadConfigOrExit('datanode', () => loadDatanodeConfig(process.env, flag >= 0 ? process.argv[flag + 1] : undefined));
  const logger = createLogger({ name: 'datanode', level: config.logLevel });
  const service = await startDatanode(config, logger);
  stopOnSignals(logger, () => service.close());
}

main().catch((err: unknown) => {
  process.stderr.write(`datanode: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
