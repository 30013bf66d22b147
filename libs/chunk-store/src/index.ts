// Chunks on a local disk: atomic durable writes, self-checking files, range
// reads verified per 64 KiB block, quarantine of anything damaged.
export { createChunkStore } from './create-chunk-store.js';
export { ChunkScrubber, type ChunkScrubberOptions, type ScrubRoundSummary } from './chunk-scrubber.js';
export type {
  ChunkStore,
  ChunkStoreOptions,
  ChunkStoreLogger,
  ChunkWriter,
  ChunkWriterInit,
  ChunkReader,
  ChunkInfo,
  ReadRange,
  StoreUsage,
  StartupReport,
} from './chunk-store.js';
export { CHUNK_FORMAT_VERSION, CHUNK_HEADER_SIZE, chunkFileLength } from './chunk-header.js';
