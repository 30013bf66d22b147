import type { Logger } from 'pino';

/**
 * SIGTERM and SIGINT run `close()` once, then exit 0 (1 if closing failed).
 * A second signal while closing is ignored: the graceful path has its own
 * deadlines, and a supervisor that is out of patience sends SIGKILL.
 */
export function stopOnSignals(logger: Logger, close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'signal received; shutting down');
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
