import type { DfsError, DfsErrorCode } from '@dfs/sdk';

/** The SDK's own DfsError (the real class, also where @dfs/sdk is mocked). */
export function dfsError(code: DfsErrorCode, message: string, cause?: unknown, reason?: string): DfsError {
  const { DfsError: RealDfsError } = jest.requireActual<typeof import('@dfs/sdk')>('@dfs/sdk');
  return new RealDfsError(code, message, { cause, reason });
}
