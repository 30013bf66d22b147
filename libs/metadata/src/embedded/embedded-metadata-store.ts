// The default backend for one machine: SQLite in one file, <dataDir>/metadata.db.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database, Statement } from 'better-sqlite3';
import { Code, DfsError, isDfsError } from '@dfs/proto';
import { TableMetadataStore } from '../table-metadata-store.js';
import { migrate } from './sqlite-schema.js';
import { SqliteTables } from './sqlite-tables.js';

export const METADATA_DB_FILE = 'metadata.db';
/** Writes committed together at most; bounds the latency one batch adds. */
const MAX_BATCH = 1000;

interface PendingWrite {
  op: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * A MetadataStore in SQLite (WAL mode, synchronous=FULL: a write has reached
 * the disk when its promise resolves, so a SIGKILL or power loss right after
 * keeps it). Writes issued in the same tick share one transaction and one
 * fsync (group commit), each inside its own savepoint so that one failing
 * write (AlreadyExists) rolls back alone. The database is opened in exclusive
 * locking mode: a second coordinator on the same data directory is refused
 * instead of corrupting the membership counters.
 */
export class EmbeddedMetadataStore extends TableMetadataStore {
  readonly backend = 'embedded';
  private readonly queue: PendingWrite[] = [];
  private flushScheduled = false;
  private readonly savepoint: Record<'begin' | 'release' | 'rollback', Statement>;

  private constructor(
    private readonly db: Database,
    readonly file: string,
  ) {
    super(new SqliteTables(db), (op) => this.enqueue(op));
    this.savepoint = {
      begin: db.prepare('SAVEPOINT write'),
      release: db.prepare('RELEASE write'),
      rollback: db.prepare('ROLLBACK TO write'),
    };
  }

  /** Opens (creating if needed) the store in `dataDir`. */
  static async open(dataDir: string): Promise<EmbeddedMetadataStore> {
    const file = join(dataDir, METADATA_DB_FILE);
    let db: Database | undefined;
    try {
      mkdirSync(dataDir, { recursive: true });
      db = new BetterSqlite3(file, { timeout: 0 });
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      // 64 MiB of page cache instead of 2: a namespace of 100,000s of files stays in memory.
      db.pragma('cache_size = -65536');
      // Checkpoint every ~40 MiB of WAL instead of ~4: fewer of the fsyncs of the main file that cost most under load.
      db.pragma('wal_autocheckpoint = 10000');
      // Takes the exclusive lock now, so a second process fails at open, not at its first write.
      db.exec('BEGIN IMMEDIATE; COMMIT');
      migrate(db, file);
      return new EmbeddedMetadataStore(db, file);
    } catch (err) {
      db?.close();
      throw databaseError(err, `opening metadata database ${file}`);
    }
  }

  override async close(): Promise<void> {
    if (!this.db.open) return;
    // Refuse new writes first, then let queued ones finish: their callers were promised an answer.
    await super.close();
    while (this.queue.length > 0) this.flush();
    this.db.close();
  }

  private enqueue<T>(op: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ op, resolve: resolve as (value: unknown) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue.splice(0, MAX_BATCH);
    if (batch.length === 0) return;
    if (this.queue.length > 0) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    const outcomes: ({ ok: true; value: unknown } | { ok: false; err: unknown })[] = [];
    const sp = this.savepoint;
    try {
      this.db.transaction(() => {
        for (const w of batch) {
          // Each write in its own savepoint: a failing one rolls back alone.
          sp.begin.run();
          try {
            outcomes.push({ ok: true, value: w.op() });
            sp.release.run();
          } catch (err) {
            sp.rollback.run();
            sp.release.run();
            outcomes.push({ ok: false, err });
          }
        }
      })();
    } catch (err) {
      // The commit itself failed (disk full, I/O error): nothing of the batch was written.
      const failure = databaseError(err, `writing metadata database ${this.file}`);
      for (const w of batch) w.reject(failure);
      return;
    }
    batch.forEach((w, i) => {
      const o = outcomes[i]!;
      if (o.ok) w.resolve(o.value);
      else w.reject(databaseError(o.err, `writing metadata database ${this.file}`));
    });
  }
}

/** A SQLite failure as a DfsError that says what to check; DfsErrors pass through. */
function databaseError(err: unknown, what: string): DfsError {
  if (isDfsError(err)) return err;
  const code = (err as { code?: unknown } | undefined)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new DfsError(Code.FailedPrecondition, `${what}: the database is in use by another process; stop the other coordinator or use another data directory`, {
      cause: err,
    });
  }
  if (code === 'SQLITE_FULL') {
    return new DfsError(Code.ResourceExhausted, `${what}: the disk is full (${message}); free space on the coordinator's data disk`, {
      reason: 'DISK_FULL',
      cause: err,
    });
  }
  return new DfsError(Code.Internal, `${what}: ${message}; check the data directory's disk and permissions`, { cause: err });
}
