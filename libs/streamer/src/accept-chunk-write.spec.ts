import { create } from '@bufbuild/protobuf';
import { Code, WriteChunkRequestSchema, chunkSha256, newChunkId, type WriteChunkRequest } from '@dfs/proto';
import { acceptChunkWrite } from './accept-chunk-write.js';

const id = newChunkId();
const header = (h: Record<string, unknown> = {}) =>
  create(WriteChunkRequestSchema, { message: { case: 'header', value: { chunkId: id, ...h } } });
const frame = (offset: number, data: Uint8Array) =>
  create(WriteChunkRequestSchema, { message: { case: 'frame', value: { offset: BigInt(offset), data } } });
const trailer = (size: number, sha256: Uint8Array) =>
  create(WriteChunkRequestSchema, { message: { case: 'trailer', value: { size: BigInt(size), sha256 } } });

async function* from(msgs: WriteChunkRequest[]) {
  yield* msgs;
}

async function drain(msgs: WriteChunkRequest[], opts = {}) {
  const incoming = await acceptChunkWrite(from(msgs), opts);
  let n = 0;
  for await (const d of incoming.frames()) n += d.length;
  return { incoming, n };
}

const data = new Uint8Array(1000).fill(7);
const sha = chunkSha256(data);

describe('acceptChunkWrite', () => {
  it('accepts header, contiguous frames and a trailer', async () => {
    const { incoming, n } = await drain([header({ size: 1000n }), frame(0, data.subarray(0, 400)), frame(400, data.subarray(400)), trailer(1000, sha)]);
    expect(n).toBe(1000);
    expect(incoming.trailer).toEqual({ size: 1000, sha256: sha });
  });

  it.each([
    ['no header first', [frame(0, data)], Code.InvalidArgument, 'BAD_FRAME'],
    ['an empty stream', [], Code.InvalidArgument, 'TRUNCATED_STREAM'],
    ['a malformed chunk id', [header({ chunkId: '../etc/passwd' })], Code.InvalidArgument, 'BAD_CHUNK_ID'],
    ['a zero size', [header({ size: 0n })], Code.InvalidArgument, 'EMPTY_CHUNK'],
    ['a negative size', [header({ size: -5n })], Code.InvalidArgument, 'EMPTY_CHUNK'],
    ['a size over 64 MiB', [header({ size: 64n * 1024n * 1024n + 1n })], Code.InvalidArgument, 'CHUNK_TOO_LARGE'],
    ['a gap between frames', [header(), frame(0, data), frame(1001, data)], Code.InvalidArgument, 'BAD_FRAME'],
    ['a frame over the maximum', [header(), frame(0, new Uint8Array(2000))], Code.ResourceExhausted, 'BAD_FRAME'],
    ['more bytes than declared', [header({ size: 500n }), frame(0, data)], Code.InvalidArgument, 'SIZE_MISMATCH'],
    ['no trailer (truncated)', [header(), frame(0, data)], Code.InvalidArgument, 'TRUNCATED_STREAM'],
    ['fewer bytes than declared', [header({ size: 2000n }), frame(0, data), trailer(1000, sha)], Code.InvalidArgument, 'SIZE_MISMATCH'],
    ['a trailer size that lies', [header(), frame(0, data), trailer(999, sha)], Code.InvalidArgument, 'SIZE_MISMATCH'],
    ['no checksum anywhere', [header(), frame(0, data), trailer(1000, new Uint8Array(0))], Code.InvalidArgument, 'CHECKSUM_MISMATCH'],
    ['header and trailer checksums that differ', [header({ sha256: new Uint8Array(32) }), frame(0, data), trailer(1000, sha)], Code.DataLoss, 'CHECKSUM_MISMATCH'],
    ['an empty chunk', [header(), trailer(0, sha)], Code.InvalidArgument, 'EMPTY_CHUNK'],
    ['a message after the trailer', [header(), frame(0, data), trailer(1000, sha), frame(1000, data)], Code.InvalidArgument, 'BAD_FRAME'],
    ['a bad pipeline address', [header({ pipeline: [{ nodeId: 'x', address: 'http://evil/' }] })], Code.InvalidArgument, 'BAD_FRAME'],
  ])('rejects %s', async (_name, msgs, code, reason) => {
    await expect(drain(msgs as WriteChunkRequest[], { maxFrameSize: 1024 })).rejects.toMatchObject({ code, reason });
  });
});
