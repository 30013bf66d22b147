import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import http2 from 'node:http2';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { create, toBinary } from '@bufbuild/protobuf';
import { ChunkHasher, ReadChunkRequestSchema, newChunkId } from '@dfs/proto';
import { startDatanodeProcess, stopAllProcesses, workspaceRoot, type DatanodeProcess } from '@dfs/test-cluster';
import { MiB, random } from './test/chunk-client.js';

// Any gRPC client can talk to a datanode: here grpc-js with a dynamic client
// built from the .proto files, no generated code of ours involved.
jest.setTimeout(60_000);

let node: DatanodeProcess;
let client: grpc.Client & Record<string, (...args: unknown[]) => unknown>;

beforeAll(async () => {
  node = await startDatanodeProcess({ name: 'dn-grpc' });
  const def = protoLoader.loadSync('dfs/v1/datanode.proto', { includeDirs: [join(workspaceRoot(), 'proto')], longs: String, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { dfs: { v1: { DatanodeService: grpc.ServiceClientConstructor } } };
  client = new pkg.dfs.v1.DatanodeService(node.ready!.address, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': 8 * MiB,
    'grpc.max_send_message_length': 8 * MiB,
  }) as unknown as typeof client;
});

afterAll(async () => {
  client?.close();
  await stopAllProcesses();
  if (node) await rm(node.dataDir, { recursive: true, force: true });
});

describe('gRPC interop (grpc-js + proto-loader)', () => {
  it('writes a chunk over the gRPC protocol and reads it back', async () => {
    const data = random(3 * MiB + 5);
    const digest = new ChunkHasher().update(data).digest();
    const chunkId = newChunkId();

    const responses: Array<Record<string, unknown>> = [];
    await new Promise<void>((resolve, reject) => {
      const call = client['WriteChunk']!() as grpc.ClientDuplexStream<unknown, Record<string, unknown>>;
      call.on('data', (m) => responses.push(m));
      call.on('error', reject);
      call.on('end', resolve);
      call.write({ header: { chunkId, size: String(data.length), sha256: Buffer.from(digest.sha256) } });
      for (let off = 0; off < data.length; off += MiB) call.write({ frame: { offset: String(off), data: data.subarray(off, off + MiB) } });
      call.write({ trailer: { size: String(data.length), sha256: Buffer.from(digest.sha256) } });
      call.end();
    });
    const result = responses.find((m) => m['message'] === 'result')!['result'] as { chunkId: string; size: string; replicas: Array<{ durable: boolean }> };
    expect(result.chunkId).toBe(chunkId);
    expect(result.size).toBe(String(data.length));
    expect(result.replicas[0]!.durable).toBe(true);
    expect(responses.some((m) => m['message'] === 'progress')).toBe(true);

    const parts: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = client['ReadChunk']!({ chunkId, offset: '0', length: '0' }) as grpc.ClientReadableStream<Record<string, { data: Buffer }>>;
      call.on('data', (m) => {
        if (m['frame']) parts.push(m['frame'].data);
      });
      call.on('error', reject);
      call.on('end', resolve);
    });
    expect(Buffer.concat(parts).equals(data)).toBe(true);
  });

  it('replies uncompressed to clients that accept gzip (chunk bytes are not worth the CPU)', async () => {
    const data = random(64 * 1024);
    const chunkId = newChunkId();
    const digest = new ChunkHasher().update(data).digest();
    await new Promise<void>((resolve, reject) => {
      const call = client['WriteChunk']!() as grpc.ClientDuplexStream<unknown, unknown>;
      call.on('data', () => undefined);
      call.on('error', reject);
      call.on('end', resolve);
      call.write({ header: { chunkId, size: String(data.length), sha256: Buffer.from(digest.sha256) } });
      call.write({ frame: { offset: '0', data } });
      call.write({ trailer: { size: String(data.length), sha256: Buffer.from(digest.sha256) } });
      call.end();
    });
    const request = toBinary(ReadChunkRequestSchema, create(ReadChunkRequestSchema, { chunkId }));
    const envelope = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), request]);
    envelope.writeUInt32BE(request.length, 1);
    const session = http2.connect(`http://${node.ready!.address}`);
    try {
      for (const headers of [
        { 'content-type': 'application/grpc+proto', te: 'trailers', 'grpc-accept-encoding': 'gzip' },
        { 'content-type': 'application/connect+proto', 'connect-accept-encoding': 'gzip' },
      ]) {
        const req = session.request({ ':method': 'POST', ':path': '/dfs.v1.DatanodeService/ReadChunk', ...headers });
        req.end(envelope);
        const [response] = (await once(req, 'response')) as [http2.IncomingHttpHeaders];
        const pieces: Buffer[] = [];
        for await (const piece of req) pieces.push(piece as Buffer);
        expect(response[':status']).toBe(200);
        // The encoding may be negotiated, but no message may use it: each
        // envelope's flags byte has the compressed bit (1) clear.
        const body = Buffer.concat(pieces);
        const flags: number[] = [];
        for (let at = 0; at < body.length; at += 5 + body.readUInt32BE(at + 1)) flags.push(body[at]!);
        expect(body.length).toBeGreaterThan(data.length);
        expect(flags.filter((f) => (f & 1) !== 0)).toEqual([]);
      }
    } finally {
      session.close();
    }
  });

  it('gets gRPC status codes for bad input', async () => {
    const err = await new Promise<grpc.ServiceError>((resolve) => {
      const call = client['ReadChunk']!({ chunkId: 'nope', offset: '0', length: '0' }) as grpc.ClientReadableStream<unknown>;
      call.on('data', () => undefined);
      call.on('error', resolve);
    });
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/malformed chunk id/);
  });
});
