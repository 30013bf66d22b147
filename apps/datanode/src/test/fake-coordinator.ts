// A stand-in for the coordinator on a real socket, in the test's process:
// records what datanodes tell it and answers heartbeats as the test says.
import http2 from 'node:http2';
import { createServer, type AddressInfo } from 'node:net';
import { create } from '@bufbuild/protobuf';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import {
  Code,
  CoordinatorService,
  DfsError,
  HeartbeatResponseSchema,
  type CopyOutcome,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type NodeCommand,
} from '@dfs/proto';

export type HeartbeatAnswer = Pick<Partial<HeartbeatResponse>, 'commands' | 'reregister' | 'reportChunks'>;

export interface FakeCoordinator {
  readonly address: string;
  readonly registers: number;
  /** Every ReportChunks batch, in arrival order. */
  readonly reports: string[][];
  /** Heartbeats answered, in arrival order. */
  readonly heartbeats: HeartbeatRequest[];
  /** Heartbeats refused (see `refusing`). */
  readonly refused: HeartbeatRequest[];
  /** Sent with the next heartbeat that is answered; undefined again once sent. */
  nextAnswer: HeartbeatAnswer | undefined;
  /** While true, heartbeats fail with Unavailable, as with a coordinator that is down. */
  refusing: boolean;
  /** corrupt_chunk_ids of every answered heartbeat. */
  corruptChunkIds(): string[];
  /** copy_outcomes of every answered heartbeat. */
  copyOutcomes(): CopyOutcome[];
  removedChunkIds(): string[];
  close(): Promise<void>;
}

/** A port nobody listens on (for a while): to start a coordinator late, or as a copy target that refuses. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** A copy command for a heartbeat answer. */
export function copyCommand(chunkId: string, target: { nodeId: string; address: string }): NodeCommand {
  return { command: { case: 'copyChunk', value: { chunkId, target } } } as NodeCommand;
}

/** Listens on 127.0.0.1:`port` (default: a free one) and tells nodes to heartbeat every `heartbeatIntervalMs`. */
export async function startFakeCoordinator(options: { port?: number; heartbeatIntervalMs?: number } = {}): Promise<FakeCoordinator> {
  const state = {
    registers: 0,
    reports: [] as string[][],
    heartbeats: [] as HeartbeatRequest[],
    refused: [] as HeartbeatRequest[],
    nextAnswer: undefined as HeartbeatAnswer | undefined,
    refusing: false,
  };
  const server = http2.createServer(
    connectNodeAdapter({
      routes: (router) =>
        router.service(CoordinatorService, {
          registerNode: () => {
            state.registers++;
            return { membershipVersion: 7n, heartbeatIntervalMs: options.heartbeatIntervalMs ?? 50, reportChunks: true };
          },
          reportChunks: (req) => {
            state.reports.push(req.chunkIds);
            return { unknownChunkIds: [] };
          },
          heartbeat: (req) => {
            if (state.refusing) {
              state.refused.push(req);
              throw new DfsError(Code.Unavailable, 'the fake coordinator refuses this heartbeat');
            }
            state.heartbeats.push(req);
            const res = create(HeartbeatResponseSchema, { membershipVersion: 7n, ...state.nextAnswer });
            state.nextAnswer = undefined;
            return res;
          },
        }),
    }),
  );
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });
  return Object.assign(state, {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    corruptChunkIds: () => state.heartbeats.flatMap((h) => h.corruptChunkIds),
    copyOutcomes: () => state.heartbeats.flatMap((h) => h.copyOutcomes),
    removedChunkIds: () => state.heartbeats.flatMap((h) => h.removedChunkIds),
    close: async () => {
      // Open sessions (a datanode's pool keeps its connection) would hold close() forever.
      for (const s of sessions) s.destroy();
      await new Promise((r) => server.close(r));
    },
  });
}
