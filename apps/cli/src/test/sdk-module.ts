// Stands in for @dfs/sdk in unit tests of a command's formatting and flags:
// the client is whatever the test sets with `useFakeClient`; errors and
// isDfsError are the real SDK's.
import type { DfsClient, DfsClientOptions } from '@dfs/sdk';

const actual = jest.requireActual<typeof import('@dfs/sdk')>('@dfs/sdk');
export const { DfsError, isDfsError } = actual;

let current: Partial<DfsClient> | undefined;
let lastOptions: DfsClientOptions | undefined;

export function useFakeClient(client: Partial<DfsClient>): void {
  current = client;
}

/** The options the command created its client with. */
export function clientOptions(): DfsClientOptions | undefined {
  return lastOptions;
}

export function createDfsClient(options: DfsClientOptions): DfsClient {
  if (!current) throw new Error('no fake client: call useFakeClient() first');
  lastOptions = options;
  return { close: async () => undefined, ...current } as DfsClient;
}
