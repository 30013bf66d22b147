import { Code, ConnectError } from '@connectrpc/connect';
import { DfsError as WireError } from '@dfs/proto';
import { DfsError, isDfsError } from './index.js';

describe('DfsError', () => {
  it('converts a wire error keeping its message, reason and retryability, with the original as cause', () => {
    const wire = new WireError(Code.DataLoss, 'chunk x: block 3 does not match its checksum; read another replica', { reason: 'CORRUPT_CHUNK' });
    const err = DfsError.from(wire);
    expect(err).toBeInstanceOf(DfsError);
    expect(err).toMatchObject({ name: 'DfsError', code: 'DataLoss', reason: 'CORRUPT_CHUNK', retryable: false, message: wire.rawMessage });
    expect(err.cause).toBe(wire);
    expect(DfsError.from(new WireError(Code.Unavailable, 'down'))).toMatchObject({ code: 'Unavailable', retryable: true });
  });

  it('converts a ConnectError off the wire, a refused connection, an abort and anything else', () => {
    expect(DfsError.from(new ConnectError('gone', Code.NotFound))).toMatchObject({ code: 'NotFound', message: 'gone' });
    expect(DfsError.from(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))).toMatchObject({ code: 'Unavailable', retryable: true });
    expect(DfsError.from(new DOMException('stop', 'AbortError'))).toMatchObject({ code: 'Canceled' });
    expect(DfsError.from('a string')).toMatchObject({ code: 'Unknown', message: 'a string' });
  });

  it('is returned as is, and recognized by shape across copies of the package', () => {
    const err = new DfsError('NotFound', '/x does not exist');
    expect(DfsError.from(err)).toBe(err);
    expect(isDfsError(err)).toBe(true);
    const foreign = Object.assign(new Error('/x does not exist'), { name: 'DfsError', code: 'NotFound' });
    expect(isDfsError(foreign)).toBe(true);
    expect(isDfsError(new WireError(Code.NotFound, 'x'))).toBe(false);
    expect(isDfsError(new Error('plain'))).toBe(false);
    expect(isDfsError(undefined)).toBe(false);
  });
});
