import { parseSize } from '@dfs/config';
import { stopAllProcesses } from '@dfs/test-cluster';

/** A size flag ("64MiB", "2GiB", "4096") in bytes; throws naming the flag when it is not a size. */
export function sizeFlag(text: string, flag: string): number {
  const bytes = parseSize(text);
  if (bytes === undefined) throw new Error(`${flag} ${JSON.stringify(text)} is not a size (e.g. 64MiB)`);
  return bytes;
}

/** Runs a benchmark's main and exits with its code; on a crash, kills every process it started first. */
export function runBenchmark(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`benchmark failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      void stopAllProcesses().finally(() => process.exit(1));
    },
  );
}
