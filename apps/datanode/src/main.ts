#!/usr/bin/env node
// The datanode binary: config from env (+ optional YAML), pino JSON logs to
// stderr, graceful shutdown on SIGTERM/SIGINT.
import { ConfigError } from '@dfs/config';
import { createLogger } from '@dfs/logging';
import { loadDatanodeConfig } from './datanode-config.js';
import { startDatanode } from './start-datanode.js';

async function main(): Promise<void> {
  const fileFlag = process.argv.indexOf('--config');
  const file = fileFlag >= 0 ? process.argv[fileFlag + 1] : undefined;
  let config;
  try {
    config = loadDatanodeConfig(process.env, file);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`datanode: invalid configuration\n${err.rawMessage}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const logger = createLogger({ name: 'datanode', level: config.logLevel });
  const node = await startDatanode(config, logger);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'signal received');
    node.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`datanode: failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
