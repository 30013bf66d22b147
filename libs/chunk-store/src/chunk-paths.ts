// Where things live inside a store directory. Every function that turns a
// chunk id into a path takes an id already checked by assertChunkId, so a
// path can never leave the store (ids are 32 hex characters, no separators).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

export const CHUNK_FILE_SUFFIX = '.chunk';
export const TEMP_FILE_SUFFIX = '.tmp';

/**
 * Layout: chunks/<id[0..2]>/<id[2..4]>/<id>.chunk (two levels of 256
 * directories keep each directory small up to tens of millions of chunks),
 * tmp/<id>.<random>.tmp for writes in progress, quarantine/ for damaged files.
 */
export class ChunkPaths {
  readonly chunks: string;
  readonly tmp: string;
  readonly quarantine: string;

  constructor(readonly root: string) {
    this.chunks = join(root, 'chunks');
    this.tmp = join(root, 'tmp');
    this.quarantine = join(root, 'quarantine');
  }

  /** The two prefix directories of a chunk, outermost first. */
  chunkDirs(chunkId: string): [string, string] {
    const outer = join(this.chunks, chunkId.slice(0, 2));
    return [outer, join(outer, chunkId.slice(2, 4))];
  }

  chunkFile(chunkId: string): string {
    return join(this.chunkDirs(chunkId)[1], chunkId + CHUNK_FILE_SUFFIX);
  }

  /** A fresh temp path: the random part lets two writers of one chunk coexist. */
  tempFile(chunkId: string): string {
    return join(this.tmp, `${chunkId}.${randomBytes(6).toString('hex')}${TEMP_FILE_SUFFIX}`);
  }

  /**
   * Where a file named `baseName` goes in quarantine: time and a random part
   * are appended so repeated quarantines of one chunk keep every copy.
   */
  quarantineFile(baseName: string): string {
    return join(this.quarantine, `${baseName}.${Date.now()}-${randomBytes(3).toString('hex')}`);
  }
}
