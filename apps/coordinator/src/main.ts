#!/usr/bin/env node
// The coordinator binary: config from env (+ optional YAML via --config FILE),
// pino JSON logs to stderr, graceful shutdown on SIGTERM/SIGINT.
import { loadConfigOrExit } from '@dfs/config';
import { createLogger, stopOnSignals } from '@dfs/logging';
import { loadCoordinatorConfig } from './coordinator-config.js';
import { startCoordinator } from './start-coordinator.js';

async function main(): Promise<void> {
  const flag = process.argv.indexOf('--config');
  const config = loadConfigOrExit('coordinator', () => loadCoordinatorConfig(process.env, flag >= 0 ? process.argv[flag + 1] : undefined));
  const logger = createLogger({ name: 'coordinator', level: config.logLevel });
  const service = await startCoordinator(config, logger);
  stopOnSignals(logger, () => service.close());
}

main().catch((err: unknown) => {
  process.stderr.write(`coordinator: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
