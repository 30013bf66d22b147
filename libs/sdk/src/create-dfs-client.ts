import type { Readable } from 'node:stream';
import { createClientContext } from './client-context.js';
import { createFileReadStream } from './create-file-read-stream.js';
import type { DfsClient, DfsClientOptions } from './dfs-client.js';
import { DfsError } from './dfs-error.js';
import { downloadFile } from './download-file.js';
import { toClusterStatus, toFileInfo, toFsckReport, toNodeInfo } from './file-info.js';
import { listFiles } from './list-files.js';
import { toDfsPath } from './to-dfs-path.js';
import { uploadFile } from './upload-file.js';

/**
 * Delete and Rename must not be repeated after they may have run: a retry
 * racing the first attempt, or after it, reports a done delete as NotFound,
 * and a delete repeated after another client wrote a new file there deletes
 * that file. Every other call of the client is harmless to repeat: reads,
 * CommitUpload and AbortUpload (keyed by upload id), DrainNode, and
 * CreateUpload / AllocateChunks, whose extra placements expire unused.
 */
const NOT_IDEMPOTENT = { idempotent: false };

/**
 * Connects to a DFS cluster. No connection is made until the first call;
 * connections are shared by every call and closed by `close()`.
 *
 * @example
 * const dfs = createDfsClient({ coordinators: ['10.0.0.1:8080', '10.0.0.2:8080'] });
 * await dfs.upload('/reports/q1.pdf', './q1.pdf');
 * await dfs.close();
 * @throws DfsError InvalidArgument for a missing or malformed coordinator address or timeout.
 */
export function createDfsClient(options: DfsClientOptions): DfsClient {
  const ctx = createClientContext(options);

  return {
    upload: (remotePath, source, uploadOptions) => run(() => uploadFile(ctx, toDfsPath(remotePath), source, uploadOptions)),
    download: (remotePath, destination, downloadOptions) => run(() => downloadFile(ctx, toDfsPath(remotePath), destination, downloadOptions)),
    createReadStream: (remotePath, readOptions): Readable => createFileReadStream(ctx, toDfsPath(remotePath), readOptions),
    stat: (path) =>
      run(async () => {
        const request = { path: toDfsPath(path) };
        return toFileInfo((await ctx.coordinator((c, o) => c.stat(request, o))).file!);
      }),
    list: (path, listOptions) => listFiles(ctx, path, listOptions),
    delete: (path, deleteOptions) =>
      run(async () => {
        const request = { path: toDfsPath(path), recursive: deleteOptions?.recursive ?? false };
        const { filesDeleted } = await ctx.coordinator((c, o) => c.delete(request, o), undefined, NOT_IDEMPOTENT);
        return { filesDeleted: Number(filesDeleted) };
      }),
    rename: (from, to, renameOptions) =>
      run(async () => {
        const request = { from: toDfsPath(from, 'from'), to: toDfsPath(to, 'to'), overwrite: renameOptions?.overwrite ?? false };
        const { filesRenamed } = await ctx.coordinator((c, o) => c.rename(request, o), undefined, NOT_IDEMPOTENT);
        return { filesRenamed: Number(filesRenamed) };
      }),
    nodes: () => run(async () => (await ctx.coordinator((c, o) => c.listNodes({}, o))).nodes.map(toNodeInfo)),
    status: () => run(async () => toClusterStatus(await ctx.coordinator((c, o) => c.clusterStatus({}, o)))),
    drainNode: (nodeId) =>
      run(async () => {
        const request = { nodeId: checkNodeId(nodeId) };
        return toNodeInfo((await ctx.coordinator((c, o) => c.drainNode(request, o))).node!);
      }),
    undrainNode: (nodeId) =>
      run(async () => {
        const request = { nodeId: checkNodeId(nodeId) };
        return toNodeInfo((await ctx.coordinator((c, o) => c.undrainNode(request, o))).node!);
      }),
    fsck: (path = '/') =>
      run(async () => {
        const request = { path: toDfsPath(path) };
        return toFsckReport(await ctx.coordinator((c, o) => c.fsck(request, o)));
      }),
    close: () => ctx.close(),
  };
}

/** Every failure leaves the SDK as its own DfsError. */
async function run<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    throw DfsError.from(err);
  }
}

function checkNodeId(nodeId: unknown): string {
  if (typeof nodeId !== 'string' || nodeId.trim() === '') {
    throw new DfsError('InvalidArgument', `nodeId must be a datanode id as nodes() lists it, got ${JSON.stringify(nodeId)}`);
  }
  return nodeId;
}
