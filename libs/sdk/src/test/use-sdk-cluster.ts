import { inTurn, startCluster, stopAllProcesses, type StartClusterOptions, type TestCluster } from '@dfs/test-cluster';
import { createClientContext, type ClientContext } from '../client-context.js';
import { createDfsClient, type DfsClient, type DfsClientOptions } from '../index.js';
import { scratchDir } from './sources.js';

export interface SdkClusterOptions extends Omit<StartClusterOptions, 'name'> {
  /**
   * The client made for the spec: a DfsClient (`dfs`, the default), a bare
   * ClientContext (`ctx`, for specs of the SDK's internals), or none (the
   * spec runs its client elsewhere).
   */
  client?: 'dfs' | 'context' | 'none';
  /** The client's options besides its coordinators (slots, timeouts). */
  clientOptions?: Omit<DfsClientOptions, 'coordinators'>;
  /** Also make a scratch directory for local files (`scratch`). Default false. */
  scratch?: boolean;
}

/** A real cluster for one spec file (or describe block), and a client of it. */
export interface SdkCluster {
  /** The processes, to kill, pause or restart a datanode, and the coordinator's address. */
  readonly cluster: TestCluster;
  /** The client, with `client: 'dfs'` (the default). */
  readonly dfs: DfsClient;
  /** The client, with `client: 'context'`. */
  readonly ctx: ClientContext;
  /** A temp directory for local files, with `scratch: true`. */
  readonly scratch: string;
}

/**
 * Starts a coordinator and datanodes as `options` say (real processes on
 * 127.0.0.1 and ephemeral ports, named `sdk-${name}`), then the client and
 * the scratch directory, before the tests of the file or describe block it is
 * called in. After them, also when a test or the start failed, it closes the
 * client, stops the cluster, kills any test-cluster process of the file still
 * running (so one use at a time per file: sequential describe blocks may each
 * have their own) and removes the scratch directory, each step even when one
 * before it failed.
 */
export function useSdkCluster(name: string, options: SdkClusterOptions = {}): SdkCluster {
  const { client = 'dfs', clientOptions = {}, scratch: wantScratch = false, ...clusterOptions } = options;
  let cluster: TestCluster | undefined;
  let dfs: DfsClient | undefined;
  let ctx: ClientContext | undefined;
  let scratch: { dir: string; cleanup: () => Promise<void> } | undefined;

  beforeAll(async () => {
    cluster = await startCluster({ ...clusterOptions, name: `sdk-${name}` });
    const clientSettings = { ...clientOptions, coordinators: cluster.coordinator.address };
    if (client === 'dfs') dfs = createDfsClient(clientSettings);
    if (client === 'context') ctx = createClientContext(clientSettings);
    if (wantScratch) scratch = await scratchDir();
  });

  afterAll(() => inTurn([() => dfs?.close(), () => ctx?.close(), () => cluster?.stop(), stopAllProcesses, () => scratch?.cleanup()]));

  function need<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new Error(`useSdkCluster('${name}'): no ${what} (not asked for in its options, or beforeAll has not run)`);
    return value;
  }
  return {
    get cluster() {
      return need(cluster, 'cluster');
    },
    get dfs() {
      return need(dfs, "DfsClient (client: 'dfs')");
    },
    get ctx() {
      return need(ctx, "ClientContext (client: 'context')");
    },
    get scratch() {
      return need(scratch, 'scratch directory (scratch: true)').dir;
    },
  };
}
