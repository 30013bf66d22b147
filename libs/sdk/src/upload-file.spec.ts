import { create } from '@bufbuild/protobuf';
import { Code, DfsError as WireError, FileInfoSchema } from '@dfs/proto';
import { ChunkSlots } from './chunk-slots.js';
import type { ClientContext } from './client-context.js';
import { uploadFile } from './upload-file.js';

// What upload() makes of a commit that fails without an answer, by what the
// AbortUpload sent after it says. A stand-in coordinator and an empty file
// (no chunks, so no datanodes).

const landed = create(FileInfoSchema, { path: '/f', fileId: 'f1', size: 0n, sha256: new Uint8Array(32), chunkSize: 1024n, replication: 1 });

function coordinator(abort: () => Promise<unknown>, commits: (() => Promise<unknown>)[]) {
  const client = {
    createUpload: jest.fn(async () => ({ uploadId: 'u1', chunkSize: 1024n, replication: 1, placements: [] })),
    commitUpload: jest.fn(async () => commits.shift()!()),
    abortUpload: jest.fn(abort),
  };
  const ctx = {
    chunkWrites: new ChunkSlots(8),
    coordinator: (call: (c: unknown, o: object) => Promise<unknown>) => call(client, {}),
  } as unknown as ClientContext;
  return { ctx, client };
}

const lost = () => Promise.reject(new WireError(Code.Unavailable, 'the reply was lost'));

describe('upload() whose commit fails without an answer', () => {
  it('resolves with the file when the abort says the upload was committed after all', async () => {
    const { ctx, client } = coordinator(() => Promise.reject(new WireError(Code.FailedPrecondition, 'upload u1 was already committed')), [lost, async () => ({ file: landed })]);
    await expect(uploadFile(ctx, '/f', new Uint8Array(0))).resolves.toMatchObject({ path: '/f', fileId: 'f1' });
    // The same request twice: the second attempt answers with the file the first one landed.
    expect(client.commitUpload).toHaveBeenCalledTimes(2);
    expect(client.commitUpload.mock.calls[1]).toEqual(client.commitUpload.mock.calls[0]);
  });

  it("rejects with the commit's error when the abort went through (the upload did not land)", async () => {
    const { ctx, client } = coordinator(async () => ({}), [lost]);
    await expect(uploadFile(ctx, '/f', new Uint8Array(0))).rejects.toMatchObject({ code: 'Unavailable', message: expect.stringContaining('the reply was lost') });
    expect(client.commitUpload).toHaveBeenCalledTimes(1);
  });

  it("rejects with the commit's error when the abort fails otherwise, or the file cannot be had", async () => {
    const unavailable = coordinator(() => Promise.reject(new WireError(Code.Unavailable, 'down')), [lost]);
    await expect(uploadFile(unavailable.ctx, '/f', new Uint8Array(0))).rejects.toMatchObject({ code: 'Unavailable', message: expect.stringContaining('the reply was lost') });
    const gone = coordinator(() => Promise.reject(new WireError(Code.FailedPrecondition, 'committed')), [lost, lost]);
    await expect(uploadFile(gone.ctx, '/f', new Uint8Array(0))).rejects.toMatchObject({ code: 'Unavailable', message: expect.stringContaining('the reply was lost') });
  });
});
