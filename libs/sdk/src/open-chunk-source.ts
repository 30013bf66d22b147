import { Readable } from 'node:stream';
import { asBytes } from './as-bytes.js';
import { bytesChunkSource } from './bytes-chunk-source.js';
import type { ChunkSource } from './chunk-source.js';
import type { UploadSource } from './dfs-client.js';
import { openFileChunkSource } from './file-chunk-source.js';
import { streamChunkSource } from './stream-chunk-source.js';
import { Code, DfsError as WireError } from '@dfs/proto';

/** The right {@link ChunkSource} for what the caller passed to upload(). */
export async function openChunkSource(source: UploadSource): Promise<ChunkSource> {
  if (typeof source === 'string') return openFileChunkSource(source);
  const bytes = asBytes(source);
  if (bytes) return bytesChunkSource(bytes);
  const value: unknown = source;
  if (value !== null && typeof value === 'object') {
    if (Symbol.asyncIterator in value) return streamChunkSource(value as AsyncIterable<unknown>);
    // An old-style stream (only 'data'/'end' events): wrap() makes it a modern, iterable one.
    if (typeof (value as NodeJS.ReadableStream).on === 'function') return streamChunkSource(new Readable().wrap(value as NodeJS.ReadableStream));
  }
  throw new WireError(Code.InvalidArgument, 'the upload source must be a local file path, a Uint8Array/Buffer, a Readable or an AsyncIterable<Uint8Array>');
}
