import type { Hash } from 'node:crypto';

/** One chunk of an upload, hashed, whose bytes can be read again for a retry. */
export interface ChunkBody {
  index: number;
  /** Position of the chunk in the file. */
  offset: number;
  size: number;
  /** The chunk checksum (SHA-256 over its 64 KiB block digests; see common.proto). */
  sha256: Uint8Array;
  /** What holds the bytes, for messages: `local file /a/b`, `the buffer passed to upload()`. */
  origin: string;
  /** The chunk's bytes from the start, in pieces of at most `frameSize`; may be called once per attempt. */
  read(frameSize: number, signal: AbortSignal): AsyncIterable<Uint8Array>;
  /** Frees what holds the bytes (a spool file); called once the chunk is stored or abandoned. */
  release(): Promise<void>;
}

/**
 * The bytes of an upload cut into chunks, in order. Reading a chunk hashes
 * it (chunk checksum and, in file order, the whole-file SHA-256) before it
 * is handed out, so the checksum sent to the datanodes is of the bytes the
 * source held, and the datanodes verify that what they received matches.
 */
export interface ChunkSource {
  /** Total bytes when known before reading (a local file, bytes); undefined for a stream. */
  readonly size: number | undefined;
  /** Bytes cut into chunks so far. */
  readonly bytesRead: number;
  /** The chunks in order. `fileHash` is updated with every byte, in order. */
  chunks(chunkSize: number, fileHash: Hash, signal: AbortSignal): AsyncIterable<ChunkBody>;
  /** After the last chunk: checks that the source did not change while it was read. */
  finish(): Promise<void>;
  /** Frees everything the source holds (file handles, the spool directory). */
  close(): Promise<void>;
}
