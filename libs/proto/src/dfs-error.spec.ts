import { Code, ConnectError } from '@connectrpc/connect';
import { DfsError, callError, errorReason, isDfsError } from './index.js';

describe('DfsError', () => {
  it('is a ConnectError carrying code, reason and retryability', () => {
    const err = new DfsError(Code.DataLoss, 'checksum mismatch', { reason: 'CHECKSUM_MISMATCH' });
    expect(err).toBeInstanceOf(ConnectError);
    expect(err.code).toBe(Code.DataLoss);
    expect(err.reason).toBe('CHECKSUM_MISMATCH');
    expect(err.retryable).toBe(false);
    expect(err.metadata.get('dfs-reason')).toBe('CHECKSUM_MISMATCH');
    expect(isDfsError(err)).toBe(true);
  });

  it('marks transient codes retryable', () => {
    expect(new DfsError(Code.Unavailable, 'x').retryable).toBe(true);
    expect(new DfsError(Code.DeadlineExceeded, 'x').retryable).toBe(true);
    expect(new DfsError(Code.ResourceExhausted, 'x').retryable).toBe(true);
    expect(new DfsError(Code.InvalidArgument, 'x').retryable).toBe(false);
    expect(new DfsError(Code.NotFound, 'x').retryable).toBe(false);
  });

  it('converts wire errors, aborts and node errors', () => {
    const wire = new ConnectError('gone', Code.NotFound, { 'dfs-reason': 'BAD_CHUNK_ID' });
    const fromWire = DfsError.from(wire);
    expect(fromWire.code).toBe(Code.NotFound);
    expect(fromWire.reason).toBe('BAD_CHUNK_ID');
    expect(errorReason(wire)).toBe('BAD_CHUNK_ID');
    const abort = new Error('aborted');
    abort.name = 'AbortError';
    expect(DfsError.from(abort).code).toBe(Code.Canceled);
    const enospc = Object.assign(new Error('no space'), { code: 'ENOSPC' });
    expect(DfsError.from(enospc).code).toBe(Code.ResourceExhausted);
    expect(DfsError.from('weird').code).toBe(Code.Unknown);
    // connect-node reports a reset peer as Aborted; the errno says Unavailable.
    const reset = new ConnectError('read ECONNRESET', Code.Aborted, undefined, undefined, Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    expect(DfsError.from(reset)).toMatchObject({ code: Code.Unavailable, retryable: true });
    expect(DfsError.from(new ConnectError('app abort', Code.Aborted)).code).toBe(Code.Aborted);
    expect(isDfsError(new Error('plain'))).toBe(false);
  });
});

describe('DfsError.from and connection failures', () => {
  it('marks a refused connection Unavailable (retryable) through the cause chain', () => {
    const refused = new ConnectError('connect failed', Code.Internal, undefined, undefined, {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    });
    expect(DfsError.from(refused)).toMatchObject({ code: Code.Unavailable, retryable: true });
  });

  it('leaves a server-classified error alone even with an errno in its cause', () => {
    const notFound = new ConnectError('gone', Code.NotFound, undefined, undefined, { code: 'ECONNREFUSED' });
    expect(DfsError.from(notFound).code).toBe(Code.NotFound);
  });
});

describe('callError', () => {
  it('turns a cancel nobody asked for into Unavailable, and keeps a real cancel', () => {
    const rst = new ConnectError('http/2 stream closed with error code CANCEL (0x8)', Code.Canceled);
    expect(callError(rst, undefined)).toMatchObject({ code: Code.Unavailable, retryable: true });
    const ac = new AbortController();
    ac.abort();
    expect(callError(rst, ac.signal).code).toBe(Code.Canceled);
    expect(callError(new ConnectError('nope', Code.NotFound), undefined).code).toBe(Code.NotFound);
  });
});
