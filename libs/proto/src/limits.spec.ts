import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { isChunkId, WriteChunkRequestSchema, ChunkFrameSchema } from './index.js';

describe('isChunkId', () => {
  it('accepts 32 lowercase hex characters', () => {
    expect(isChunkId('0123456789abcdef0123456789abcdef')).toBe(true);
  });
  it.each([
    '',
    '0123456789ABCDEF0123456789ABCDEF',
    '0123456789abcdef0123456789abcde',
    '0123456789abcdef0123456789abcdef0',
    '../../../../etc/passwd',
    '0123456789abcdef/123456789abcdef',
    '0123456789abcdef0123456789abcde\0',
  ])('rejects %j', (id) => {
    expect(isChunkId(id)).toBe(false);
  });
  it('rejects non-strings', () => {
    expect(isChunkId(42)).toBe(false);
    expect(isChunkId(undefined)).toBe(false);
  });
});

describe('generated messages', () => {
  it('round-trip a frame through the binary wire format', () => {
    const msg = create(WriteChunkRequestSchema, {
      message: { case: 'frame', value: create(ChunkFrameSchema, { offset: 7n, data: new Uint8Array([1, 2, 3]) }) },
    });
    const back = fromBinary(WriteChunkRequestSchema, toBinary(WriteChunkRequestSchema, msg));
    expect(back.message.case).toBe('frame');
    if (back.message.case !== 'frame') throw new Error('unreachable');
    expect(back.message.value.offset).toBe(7n);
    expect(Array.from(back.message.value.data)).toEqual([1, 2, 3]);
  });
});
