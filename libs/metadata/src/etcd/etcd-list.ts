// Directory listings as range scans: recursive over the path keys (p<dir>/…),
// one level over the child index (c<dir>\0…). The cursor is the last key
// returned, so a page costs one range request whatever came before it.
import { Code, DfsError } from '@dfs/proto';
import type { ListEntry, ListOptions, ListPage } from '../metadata-store.js';
import { decodeFile } from './etcd-codec.js';
import type { EtcdContext } from './etcd-context.js';
import { DIR_MARKER, keys } from './etcd-keys.js';
import { fenceReads, runTreeJob, runningJob } from './etcd-tree-job.js';

export async function list(ctx: EtcdContext, dir: string, options: ListOptions = {}): Promise<ListPage> {
  const limit = options.limit ?? 1000;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) {
    throw new DfsError(Code.InvalidArgument, `list limit ${String(limit)} is out of range: ask for 1 to 10,000 entries per page`);
  }
  const prefix = options.recursive ? keys.filesBelow(dir) : keys.children(dir);
  const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor, prefix);
  const { kv } = ctx;
  const pageRead = { request_range: kv.rangeRequest(prefix, { from: after === undefined ? undefined : after + '\0', limit }) };
  let page;
  for (;;) {
    const res = await kv.txn([], [...fenceReads(ctx, [dir]), pageRead]);
    const fences = res.responses.slice(0, -1).map((r) => r.response_range.kvs[0]);
    const job = runningJob(fences);
    // A tree job overlapping this listing is helped to its end first: no page ever shows half a tree.
    if (job) await runTreeJob(ctx, job);
    else {
      page = kv.rangePage(res.responses[res.responses.length - 1]!.response_range);
      break;
    }
  }
  const entries: ListEntry[] = page.kvs.map((kv) => {
    if (options.recursive) return { kind: 'file', file: decodeFile(kv.value) };
    if (kv.value.toString('utf8') !== DIR_MARKER) return { kind: 'file', file: decodeFile(kv.value) };
    const name = kv.key.slice(prefix.length, -1); // a marker's key ends in "/"
    return { kind: 'directory', path: dir === '/' ? `/${name}` : `${dir}/${name}` };
  });
  const last = page.kvs[page.kvs.length - 1];
  return page.more && last ? { entries, nextCursor: Buffer.from(last.key, 'utf8').toString('base64url') } : { entries };
}

function decodeCursor(cursor: string, prefix: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!key.startsWith(prefix)) {
    throw new DfsError(Code.InvalidArgument, 'list cursor does not belong to this listing: pass the nextCursor of the previous page of the same directory and mode');
  }
  return key;
}
