import { ConnectError } from '@connectrpc/connect';
import { Code, DfsError } from '@dfs/proto';
import { toCallError } from './to-call-error.js';

describe('toCallError', () => {
  it('marks a connection that could not be made Unavailable, even when nobody classified it', () => {
    // What connect-node produces when `instanceof Error` fails across realms.
    const refused = { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' };
    const wrapped = new ConnectError('Error: connect ECONNREFUSED', Code.Internal, undefined, undefined, refused);
    const error = toCallError(wrapped);
    expect(error.code).toBe(Code.Unavailable);
    expect(error.retryable).toBe(true);
    expect(toCallError(Object.assign(new Error('getaddrinfo'), { code: 'ENOTFOUND' })).code).toBe(Code.Unavailable);
  });

  it('leaves classified errors and other failures alone', () => {
    const notFound = new DfsError(Code.NotFound, 'gone', { cause: { code: 'ECONNREFUSED' } });
    expect(toCallError(notFound)).toBe(notFound);
    expect(toCallError(new ConnectError('reset', Code.Aborted, undefined, undefined, { code: 'ECONNRESET' })).code).toBe(Code.Aborted);
    expect(toCallError(new Error('bug')).code).toBe(Code.Unknown);
    const cyclic: { code: string; cause?: unknown } = { code: 'EWHATEVER' };
    cyclic.cause = cyclic;
    expect(toCallError(new ConnectError('x', Code.Internal, undefined, undefined, cyclic)).code).toBe(Code.Internal);
  });
});
