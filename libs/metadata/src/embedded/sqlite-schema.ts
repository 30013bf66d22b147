// The embedded store's SQLite schema. Paths are TEXT with the default BINARY
// collation, which compares the UTF-8 bytes: the primary-key order of `files`
// is the listing order, and a directory is a range scan of it.
import { Code, DfsError } from '@dfs/proto';
import type { Database } from 'better-sqlite3';

export const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;

-- Visible files, one row per path.
CREATE TABLE IF NOT EXISTS files (
  path TEXT PRIMARY KEY,
  file_id TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL,
  sha256 BLOB NOT NULL,
  chunk_size INTEGER NOT NULL,
  replication INTEGER NOT NULL,
  chunk_count INTEGER NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Chunk lists by file version; kept after a delete or overwrite until the GC purges them.
CREATE TABLE IF NOT EXISTS chunks (
  file_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  chunk_id TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 BLOB NOT NULL,
  replicas TEXT NOT NULL,
  PRIMARY KEY (file_id, idx)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS chunks_by_chunk_id ON chunks (chunk_id);

CREATE TABLE IF NOT EXISTS uploads (
  upload_id TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL,
  record TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS uploads_by_expiry ON uploads (expires_at, upload_id);

-- Placed and abandoned chunk ids of open uploads: the GC's reference check.
CREATE TABLE IF NOT EXISTS upload_chunks (
  chunk_id TEXT PRIMARY KEY,
  upload_id TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS upload_chunks_by_upload ON upload_chunks (upload_id);

-- Recently committed upload ids, so that a retried commit is recognized (pruned after a day).
CREATE TABLE IF NOT EXISTS committed_uploads (
  upload_id TEXT PRIMARY KEY,
  committed_at INTEGER NOT NULL,
  file TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS committed_by_time ON committed_uploads (committed_at);

CREATE TABLE IF NOT EXISTS nodes (
  node_id TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  record TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nodes_by_version ON nodes (version);

-- AUTOINCREMENT: ids never repeat, so an ack can never remove a newer entry.
CREATE TABLE IF NOT EXISTS gc_queue (
  gc_id INTEGER PRIMARY KEY AUTOINCREMENT,
  entry TEXT NOT NULL
);
`;

/** Creates the tables in a new database; refuses one written by a newer version. */
export function migrate(db: Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new DfsError(
      Code.FailedPrecondition,
      `${file} has metadata schema version ${version}, newer than this coordinator's ${SCHEMA_VERSION}: run the newer coordinator`,
    );
  }
  db.transaction(() => {
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}
