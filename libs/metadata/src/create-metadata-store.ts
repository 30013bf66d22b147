// Picks the backend from configuration. The embedded and etcd backends are
// loaded on first use, so a coordinator (or a test) on one backend never loads
// the other's native addon or gRPC stack.
import { Code, DfsError } from '@dfs/proto';
import type { MetadataStore } from './metadata-store.js';
import { MemoryMetadataStore } from './memory/memory-metadata-store.js';

export type MetadataStoreConfig =
  | { backend: 'memory' }
  | { backend: 'embedded'; dataDir: string }
  | { backend: 'etcd'; endpoints: string[]; prefix?: string };

export async function createMetadataStore(config: MetadataStoreConfig): Promise<MetadataStore> {
  switch (config.backend) {
    case 'memory':
      return new MemoryMetadataStore();
    case 'embedded': {
      if (!config.dataDir) throw configError('the embedded metadata backend needs a data directory: set DATA_DIR');
      const { EmbeddedMetadataStore } = await import('./embedded/embedded-metadata-store.js');
      return EmbeddedMetadataStore.open(config.dataDir);
    }
    case 'etcd': {
      if (!Array.isArray(config.endpoints) || config.endpoints.length === 0) {
        throw configError('the etcd metadata backend needs at least one endpoint: set ETCD_ENDPOINTS (comma-separated host:port)');
      }
      const { openEtcdMetadataStore } = await import('./etcd/etcd-metadata-store.js');
      return openEtcdMetadataStore({ endpoints: config.endpoints, prefix: config.prefix });
    }
    default:
      throw configError(
        `unknown metadata backend ${JSON.stringify((config as { backend: unknown }).backend)}: use memory, embedded or etcd`,
      );
  }
}

function configError(message: string): DfsError {
  return new DfsError(Code.InvalidArgument, message, { reason: 'CONFIG' });
}
