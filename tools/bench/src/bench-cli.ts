import { parseSize } from '@dfs/config';
import { stopAllProcesses } from '@dfs/test-cluster';

/** A size flag ("64MiB", "2GiB", "4096") in bytes; throws naming the flag when it is not a size. */
export function sizeFlag(text: string, flag: string): number {
  const bytes = parseSize(text);
  if (bytes === undefined) throw new Error(`${flag} ${JSON.stringify(text)} is not a size (e.g. 64MiB)`);
  return bytes;
}

/**
 * Runs a benchmark's main and exits with its code; on a crash, or on
 * SIGINT/SIGTERM (Ctrl-C), kills every process it started first (their
 * default would end this process without its exit hooks). `afterSignal`
 * then removes what main would have cleaned up in its own finally blocks.
 */
export function runBenchmark(main: () => Promise<number>, afterSignal?: () => Promise<void>): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`benchmark stopped by ${signal}\n`);
      void stopAllProcesses()
        .then(afterSignal)
        .finally(() => process.exit(130));
    });
  }
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`benchmark failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      void stopAllProcesses().finally(() => process.exit(1));
    },
  );
}
