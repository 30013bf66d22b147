import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ChunkHasher, newChunkId } from '@dfs/proto';
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
