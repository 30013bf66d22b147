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
/** Values of PRAGMA synchronous. */
const SYNCHRONOUS_NORMAL = 1;
const SYNCHRONOUS_FULL = 2;

interface PendingWrite {
  op: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  /** Must be on the disk before it resolves (everything but upload-session bookkeeping). */
  durable: boolean;
}

/** Transactions committed, by whether their commit fsynced the WAL. */
export interface CommitStats {
  durable: number;
  deferred: number;
}

/**
 * A MetadataStore in SQLite (WAL mode, synchronous=FULL: a write has reached
 * the disk when its promise resolves, so a SIGKILL or power loss right after
 * keeps it). Writes issued in the same tick share one transaction and one
 * fsync (group commit), each inside its own savepoint so that one failing
 * write (AlreadyExists) rolls back alone. The database is opened in exclusive
 * locking mode: a second coordinator on the same data directory is refused
 * instead of corrupting the membership counters.
 *
 * One exception to the fsync per commit: a transaction holding nothing but
 * writes the TableMetadataStore marks non-durable (upload-session
 * bookkeeping: createUpload, placeChunks) commits without one
 * (synchronous=NORMAL). It survives a crash of the process (the WAL is
 * written before the promise resolves); only a power cut or kernel crash
 * before the next fsync can lose it, and that fails only that upload: its
 * commit is refused (the upload is unknown, or names chunks it did not
 * place), its chunks are unreferenced and collected, and no file was ever
 * visible. The WAL is one append-only file, so the fsync of any later
 * durable commit (or of a checkpoint) makes these earlier ones durable too:
 * a commit of that upload is never on the disk without its session.
 */
export class EmbeddedMetadataStore extends TableMetadataStore {
  readonly backend = 'embedded';
  private readonly queue: PendingWrite[] = [];
  private flushScheduled = false;
  private readonly savepoint: Record<'begin' | 'release' | 'rollback', Statement>;
  /** The connection's synchronous setting, as last set. */
  private fsyncsCommits = true;
  private readonly stats: CommitStats = { durable: 0, deferred: 0 };

  private constructor(
    private readonly db: Database,
    readonly file: string,
  ) {
    super(new SqliteTables(db), (op, durable) => this.enqueue(op, durable ?? true));
    this.savepoint = {
      begin: db.prepare('SAVEPOINT write'),
      release: db.prepare('RELEASE write'),
      rollback: db.prepare('ROLLBACK TO write'),
    };
  }

  /** Transactions committed so far, with and without an fsync of their own. */
  get commitStats(): CommitStats {
    return { ...this.stats };
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

  /** Queues a write; `durable` false lets its batch commit without an fsync if no other write needs one. */
  private enqueue<T>(op: () => T, durable: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ op, resolve: resolve as (value: unknown) => void, reject, durable });
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
    const durable = batch.some((w) => w.durable);
    try {
      // Outside the transaction: SQLite refuses to change it inside one.
      this.setFsyncOnCommit(durable);
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
    this.stats[durable ? 'durable' : 'deferred']++;
    batch.forEach((w, i) => {
      const o = outcomes[i]!;
      if (o.ok) w.resolve(o.value);
      else w.reject(databaseError(o.err, `writing metadata database ${this.file}`));
    });
  }

  /**
   * synchronous=FULL (the WAL is fsynced at commit) or NORMAL (not), set
   * only when it changes. Through db.pragma, never a statement prepared
   * ahead: SQLite applies this pragma when it is prepared, not when it runs.
   * Read back, because a durable commit must never go out without its fsync.
   */
  private setFsyncOnCommit(fsync: boolean): void {
    if (fsync === this.fsyncsCommits) return;
    this.db.pragma(`synchronous = ${fsync ? 'FULL' : 'NORMAL'}`);
    const level = this.db.pragma('synchronous', { simple: true });
    if (level !== (fsync ? SYNCHRONOUS_FULL : SYNCHRONOUS_NORMAL)) {
      throw new Error(`PRAGMA synchronous is ${String(level)} after setting it to ${fsync ? 'FULL' : 'NORMAL'}`);
    }
    this.fsyncsCommits = fsync;
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
