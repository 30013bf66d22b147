import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { MetadataStoreConfig } from '@dfs/metadata';
import { startCoordinatorProcess, type CoordinatorProcess } from '@dfs/test-cluster';
import type { CaseContext } from './case-context.js';

/**
 * A coordinator of its own for a case that registers simulated datanodes:
 * the cluster's coordinator must not get them (uploads would be placed on
 * nodes that do not exist), and it runs with the test cluster's fast
 * timings, while this one runs with production ones (heartbeats every 2 s).
 * Same metadata backend as the run (for etcd, the cluster's etcd under a
 * prefix of its own). `before` gets the store's options before the
 * coordinator starts (to fill it); `fn` gets the running process, which is
 * stopped afterwards and its data removed.
 */
export async function withBenchCoordinator<T>(
  ctx: CaseContext,
  name: string,
  fn: (coordinator: CoordinatorProcess) => Promise<T>,
  before?: (store: MetadataStoreConfig) => Promise<void>,
): Promise<T> {
  const dataDir = join(ctx.workDir, `${name}-${ctx.run}`);
  const prefix = `${name}-${ctx.run}-${Date.now()}`;
  const etcd = ctx.options.metadata === 'etcd' ? ctx.cluster.etcd!.endpoint : undefined;
  await before?.(etcd ? { backend: 'etcd', endpoints: [etcd], prefix } : { backend: 'embedded', dataDir });
  const env: Record<string, string> = etcd ? { METADATA_BACKEND: 'etcd', ETCD_ENDPOINTS: etcd, ETCD_PREFIX: prefix } : { METADATA_BACKEND: 'embedded' };
  const coordinator = await startCoordinatorProcess({ name, dataDir, logFile: join(ctx.cluster.dir, `${name}-${ctx.run}.log`), env });
  try {
    return await fn(coordinator);
  } finally {
    await coordinator.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
