// Stands in for @dfs/sdk in unit tests of a command's formatting and flags:
// the client is whatever the test sets with `useFakeClient`; errors and
// isDfsError are the real SDK's.
import type { DfsClient } from '@dfs/sdk';

const actual = jest.requireActual<typeof import('@dfs/sdk')>('@dfs/sdk');
export const { DfsError, isDfsError } = actual;

let current: Partial<DfsClient> | undefined;

export function useFakeClient(client: Partial<DfsClient>): void {
  current = client;
}

export function createDfsClient(): DfsClient {
  if (!current) throw new Error('no fake client: call useFakeClient() first');
  return { close: async () => undefined, ...current } as DfsClient;
}
