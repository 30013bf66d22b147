import { pipeline } from 'node:stream/promises';
import { checkConcurrency } from './check-options.js';
import type { ClientContext } from './client-context.js';
import { createFileReadStream } from './create-file-read-stream.js';
import type { DownloadOptions } from './dfs-client.js';
import { DfsError } from './dfs-error.js';
import type { FileInfo } from './file-info.js';
import { canceled } from './for-each-concurrently.js';
import { downloadToPath } from './download-to-path.js';
import { statFile } from './stat-file.js';

/**
 * download(): to a local path (parallel, see downloadToPath) or to a
 * Writable (in order, with back-pressure, `concurrency` chunks fetched
 * ahead). Resolves with the info of the version that was read.
 */
export async function downloadFile(ctx: ClientContext, path: string, destination: string | NodeJS.WritableStream, options: DownloadOptions = {}): Promise<FileInfo> {
  const concurrency = checkConcurrency(options.concurrency);
  const signal = options.signal ?? new AbortController().signal;
  try {
    if (signal.aborted) throw canceled(signal);
    if (typeof destination === 'string') {
      const file = await statFile(ctx, path, signal);
      const report = options.onProgress;
      await downloadToPath(ctx, file, destination, {
        concurrency,
        signal,
        onProgress: report && ((loaded, chunks) => report({ loaded, total: file.size, chunks })),
        overwrite: options.overwrite ?? true,
      });
      return file;
    }
    return await downloadToWritable(ctx, path, destination, concurrency, options);
  } catch (err) {
    throw DfsError.from(signal.aborted ? canceled(signal) : err);
  }
}

async function downloadToWritable(ctx: ClientContext, path: string, destination: NodeJS.WritableStream, concurrency: number, options: DownloadOptions): Promise<FileInfo> {
  let file: FileInfo | undefined;
  let loaded = 0;
  let chunks = 0;
  const report = options.onProgress;
  const source = createFileReadStream(
    ctx,
    path,
    { signal: options.signal },
    {
      readAhead: concurrency,
      onOpen: (f) => (file = f),
      onChunk: () => report?.({ loaded, total: file!.size, chunks: ++chunks }),
    },
  );
  if (report) {
    source.on('data', (piece: Uint8Array) => {
      loaded += piece.length;
      report({ loaded, total: file!.size, chunks });
    });
  }
  // As Readable.pipe() does, standard output and error are written to but never ended.
  const stdio = destination === process.stdout || destination === process.stderr;
  await pipeline(source, destination, { end: !stdio });
  return file!;
}
