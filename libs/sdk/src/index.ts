// @dfs/sdk: the client library of DFS. Start with createDfsClient().
export { createDfsClient } from './create-dfs-client.js';
export type {
  DfsClient,
  DfsClientOptions,
  DownloadOptions,
  DownloadProgress,
  ListOptions,
  ReadStreamOptions,
  UploadOptions,
  UploadProgress,
  UploadSource,
} from './dfs-client.js';
export type { ClusterStatus, FileHealth, FileInfo, FsckProblem, FsckReport, NodeInfo, NodeStateName } from './file-info.js';
export { DfsError, isDfsError, type DfsErrorCode, type DfsErrorOptions } from './dfs-error.js';
