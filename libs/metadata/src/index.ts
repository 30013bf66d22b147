// The coordinator's metadata: one MetadataStore interface and its backends
// (memory for tests, embedded SQLite by default, etcd for shared clusters).
// The contract suite every backend passes is at '@dfs/metadata/testing'.
export type {
  ChunkRef,
  CommitInput,
  CommitResult,
  FileRecord,
  GcEntry,
  ListEntry,
  ListOptions,
  ListPage,
  MetadataStore,
  NodeRecord,
  NodeState,
  Placement,
  UploadRecord,
} from './metadata-store.js';
export { createMetadataStore, type MetadataStoreConfig } from './create-metadata-store.js';
export { MemoryMetadataStore } from './memory/memory-metadata-store.js';
// A type only: the class is loaded (with its native addon) by createMetadataStore when used.
export type { EmbeddedMetadataStore } from './embedded/embedded-metadata-store.js';
export { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from './list-paging.js';
export { compareUtf8 } from './compare-utf8.js';
