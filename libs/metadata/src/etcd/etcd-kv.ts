// A thin layer over etcd3's raw KV and lease RPCs: keys relative to the
// store's prefix, int64s (which etcd3 returns as strings) as numbers, and
// etcd failures as DfsErrors. The raw RPCs are used instead of etcd3's
// builders because they expose range_end, limits, revisions and range compares.
import { Code, DfsError, isDfsError } from '@dfs/proto';
import { CompareResult, CompareTarget, type Etcd3, type ICompare, type IKeyValue, type IRangeRequest,
  type IRangeResponse, type IRequestOp, type ITxnResponse } from 'etcd3';

export interface Kv {
  key: string;
  value: Buffer;
  /** Revision of the last change to the key (0 when absent). */
  mod: number;
}

export interface RangeOptions {
  /** Start at this key (inclusive) instead of the prefix itself. */
  from?: string;
  limit?: number;
  /** Read as of this revision (a consistent snapshot across pages). */
  revision?: number;
  keysOnly?: boolean;
}

export interface RangePage {
  kvs: Kv[];
  more: boolean;
  /** Store revision the page was read at. */
  revision: number;
}

export class EtcdKv {
  private readonly base: Buffer;

  constructor(
    readonly client: Etcd3,
    prefix: string,
    private readonly endpoints: string[],
  ) {
    this.base = Buffer.from(`${prefix}/`);
  }

  bytes(key: string): Buffer {
    return Buffer.concat([this.base, Buffer.from(key, 'utf8')]);
  }

  private relative(kv: IKeyValue): Kv {
    return { key: kv.key.subarray(this.base.length).toString('utf8'), value: kv.value, mod: toNumber(kv.mod_revision) };
  }

  async get(key: string): Promise<Kv | undefined> {
    const res = await this.call(() => this.client.kv.range({ key: this.bytes(key) }));
    return res.kvs[0] && this.relative(res.kvs[0]);
  }

  /** One page of the keys starting with `prefix`, in byte order. */
  async range(prefix: string, options: RangeOptions = {}): Promise<RangePage> {
    return this.rangePage(await this.call(() => this.client.kv.range(this.rangeRequest(prefix, options))));
  }

  /** A range response (also one inside a txn) as a page of relative keys. */
  rangePage(res: IRangeResponse): RangePage {
    // A range inside a txn may come without a header of its own.
    return { kvs: res.kvs.map((kv) => this.relative(kv)), more: res.more, revision: toNumber(res.header?.revision) };
  }

  /** Keys in [from, to). */
  async between(from: string, to: string, limit: number): Promise<Kv[]> {
    const res = await this.call(() => this.client.kv.range({ key: this.bytes(from), range_end: this.bytes(to), limit }));
    return res.kvs.map((kv) => this.relative(kv));
  }

  /** Keys starting with `prefix`, now or as of `revision`. */
  async count(prefix: string, revision?: number): Promise<number> {
    const res = await this.call(() => this.client.kv.range({ ...this.rangeRequest(prefix, { revision }), count_only: true }));
    return toNumber(res.count);
  }

  /** Every key starting with `prefix`, page by page (at one revision). */
  async *scan(prefix: string, options: { pageSize?: number; from?: string; revision?: number } = {}): AsyncGenerator<Kv> {
    let from = options.from;
    let revision = options.revision;
    for (;;) {
      const page = await this.range(prefix, { from, limit: options.pageSize ?? 1000, revision });
      revision ??= page.revision;
      yield* page.kvs;
      if (!page.more || page.kvs.length === 0) return;
      from = page.kvs[page.kvs.length - 1]!.key + '\0';
    }
  }

  rangeRequest(prefix: string, options: RangeOptions): IRangeRequest {
    const start = this.bytes(options.from ?? prefix);
    return {
      key: start,
      range_end: prefixEnd(this.bytes(prefix)),
      limit: options.limit ?? 0,
      revision: options.revision ?? 0,
      keys_only: options.keysOnly ?? false,
    };
  }

  async txn(compare: ICompare[], success: IRequestOp[], failure: IRequestOp[] = []): Promise<ITxnResponse> {
    return this.call(() => this.client.kv.txn({ compare, success, failure }));
  }

  /** Reads several keys in one consistent transaction. */
  async getMany(keyList: string[]): Promise<(Kv | undefined)[]> {
    if (keyList.length === 0) return [];
    const res = await this.txn([], keyList.map((k) => this.getOp(k)));
    return res.responses.map((r) => (r.response_range.kvs[0] ? this.relative(r.response_range.kvs[0]) : undefined));
  }

  // ---- operations and comparisons for txn() ----

  put(key: string, value: string | Buffer, lease?: string): IRequestOp {
    return { request_put: { key: this.bytes(key), value: Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8'), lease: lease ?? 0 } };
  }

  del(key: string): IRequestOp {
    return { request_delete_range: { key: this.bytes(key) } };
  }

  delPrefix(prefix: string): IRequestOp {
    return { request_delete_range: { key: this.bytes(prefix), range_end: prefixEnd(this.bytes(prefix)) } };
  }

  /** Deletes the keys in [from, to). */
  delBetween(from: string, to: string): IRequestOp {
    return { request_delete_range: { key: this.bytes(from), range_end: this.bytes(to) } };
  }

  getOp(key: string): IRequestOp {
    return { request_range: { key: this.bytes(key) } };
  }

  /** The key's last change is still `mod` (0: still absent). */
  modIs(key: string, mod: number): ICompare {
    return { key: this.bytes(key), target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: mod };
  }

  absent(key: string): ICompare {
    return { key: this.bytes(key), target: CompareTarget.Version, result: CompareResult.Equal, version: 0 };
  }

  /** No key starts with `prefix` (etcd compares every key in the range; an empty range compares as absent). */
  noneUnder(prefix: string): ICompare {
    return { key: this.bytes(prefix), range_end: prefixEnd(this.bytes(prefix)), target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 };
  }

  // ---- leases ----

  async grantLease(ttlSeconds: number): Promise<string> {
    const res = await this.call(() => this.client.leaseClient.leaseGrant({ TTL: Math.max(1, Math.ceil(ttlSeconds)) }));
    return String(res.ID);
  }

  /** Best effort: a lease that is already gone is fine. */
  async revokeLease(id: string | undefined): Promise<void> {
    if (!id || id === '0') return;
    await this.client.leaseClient.leaseRevoke({ ID: id }).catch(() => undefined);
  }

  /** Resets the lease's TTL to its granted TTL, from now (one keep-alive). Best effort. */
  async keepAliveOnce(id: string | undefined): Promise<void> {
    if (!id || id === '0') return;
    try {
      const stream = await this.client.leaseClient.leaseKeepAlive();
      await new Promise<void>((resolve, reject) => {
        stream.on('data', () => resolve());
        stream.on('error', reject);
        stream.write({ ID: id });
      }).finally(() => stream.end());
    } catch {
      // the lease is only a backstop for abandoned sessions (see uploads)
    }
  }

  /** Runs an etcd call; anything etcd throws becomes a DfsError that names the endpoints. */
  async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isDfsError(err)) throw err;
      const message = err instanceof Error ? err.message : String(err);
      if (/too many operations|request is too large/i.test(message)) {
        throw new DfsError(Code.ResourceExhausted, `etcd refused a transaction (${message}): the operation is too large for one etcd transaction`, { cause: err });
      }
      if (/etcdserver: (duplicate key|key is not provided|invalid)/i.test(message)) {
        throw new DfsError(Code.Internal, `etcd rejected a malformed request (${message}): this is a bug in the etcd metadata store`, { cause: err });
      }
      throw new DfsError(Code.Unavailable, `etcd request failed (${message}): check that etcd is up at ${this.endpoints.join(', ')}`, { cause: err });
    }
  }
}

/** The first key after every key that starts with `prefix`. */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // the whole keyspace
}

/** etcd int64s arrive as strings; every revision and version here fits in a double. */
export function toNumber(value: string | number | undefined | null): number {
  if (value === undefined || value === null || value === '') return 0;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new DfsError(Code.Internal, `etcd returned ${String(value)} where a 53-bit integer was expected`);
  return n;
}
