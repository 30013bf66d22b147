// Chunks as frames over Connect streams: the client side of WriteChunk and
// ReadChunk, the server side's validating reader, and the pieces they share
// (frame re-slicing, the ack window, idle timeouts, bounded queues).
export { writeChunkStream, type WriteChunkStreamOptions, type WriteChunkStreamResult } from './write-chunk-stream.js';
export { readChunkStream, type ReadChunkStreamOptions } from './read-chunk-stream.js';
export {
  acceptChunkWrite,
  type AcceptChunkWriteOptions,
  type ChunkWriteHeader,
  type ChunkWriteTrailer,
  type IncomingChunk,
} from './accept-chunk-write.js';
export { frameBytes, assertFrameSize } from './frame-bytes.js';
export { AckWindow } from './ack-window.js';
export { ByteBudget } from './byte-budget.js';
export { AsyncQueue } from './async-queue.js';
export { withIdleTimeout, type IdleTimeoutOptions } from './with-idle-timeout.js';
