import { Code, DEFAULT_CHUNK_SIZE, newChunkId } from '@dfs/proto';
import { checkCommit, chunkCountFor, maxChunksPerFile, resolveChunkSize, resolveFileSize, resolveReplication, type ReportedChunk } from './upload-rules.js';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('upload rules', () => {
  it('resolves chunk sizes from 1 KiB to 64 MiB, 0 meaning 8 MiB', () => {
    expect(resolveChunkSize(0n)).toBe(DEFAULT_CHUNK_SIZE);
    expect(resolveChunkSize(1024n)).toBe(1024);
    expect(resolveChunkSize(64n * 1024n * 1024n)).toBe(64 * MiB);
    expect(resolveChunkSize(0n, 256 * KiB)).toBe(256 * KiB);
    for (const bad of [1023n, 64n * 1024n * 1024n + 1n, -1n]) {
      expect(() => resolveChunkSize(bad)).toThrow(expect.objectContaining({ code: Code.InvalidArgument }));
    }
  });

  it('resolves replication against the live nodes', () => {
    expect(resolveReplication(0, 3, 6)).toBe(3);
    expect(resolveReplication(1, 3, 1)).toBe(1);
    expect(() => resolveReplication(3, 3, 2)).toThrow(expect.objectContaining({ code: Code.FailedPrecondition, message: expect.stringMatching(/needs 3 live datanodes but 2 are live/) }));
    expect(() => resolveReplication(17, 3, 20)).toThrow(expect.objectContaining({ code: Code.InvalidArgument }));
  });

  it('counts chunks and bounds file sizes', () => {
    expect(chunkCountFor(0, MiB)).toBe(0);
    expect(chunkCountFor(1, MiB)).toBe(1);
    expect(chunkCountFor(MiB, MiB)).toBe(1);
    expect(chunkCountFor(MiB + 1, MiB)).toBe(2);
    expect(resolveFileSize(undefined, MiB, 3)).toBeUndefined();
    expect(() => resolveFileSize(-1n, MiB, 3)).toThrow(/negative/);
    expect(() => resolveFileSize(BigInt(MiB) * 1_000_001n, MiB, 1)).toThrow(/more than \d+ chunks/);
    // The most chunks a file may have shrinks with its copies: its commit names every copy of every chunk.
    expect(maxChunksPerFile(1)).toBeGreaterThan(maxChunksPerFile(3));
    expect(maxChunksPerFile(3)).toBeGreaterThan(maxChunksPerFile(16));
    expect(resolveFileSize(BigInt(MiB) * BigInt(maxChunksPerFile(3)), MiB, 3)).toBe(MiB * maxChunksPerFile(3));
    expect(() => resolveFileSize(BigInt(MiB) * BigInt(maxChunksPerFile(3)) + 1n, MiB, 3)).toThrow(/more than \d+ chunks/);
  });
});

describe('checkCommit', () => {
  const chunkSize = MiB;
  const size = 2 * MiB + 10;
  const planned = [0, 1, 2].map((index) => ({ index, chunkId: newChunkId(), nodeIds: ['a', 'b', 'c', 'd'] }));
  const sha = new Uint8Array(32);
  const good = (): ReportedChunk[] =>
    planned.map((p) => ({ chunkId: p.chunkId, index: p.index, size: p.index < 2 ? MiB : 10, sha256: sha, replicas: ['a', 'b', 'c'] }));
  const check = (reported: ReportedChunk[], extra: Partial<Parameters<typeof checkCommit>[0]> = {}) =>
    checkCommit({ planned, reported, declaredSize: size, size, fileSha256: sha, chunkSize, minReplicas: 2, ...extra });

  it('accepts a complete commit in any order and returns it sorted', () => {
    expect(check(good().reverse()).map((c) => c.index)).toEqual([0, 1, 2]);
  });

  it.each([
    ['a missing chunk', (c: ReportedChunk[]) => c.slice(0, 2), /3 chunks .* 2 were reported/],
    ['a repeated index', (c: ReportedChunk[]) => [c[0]!, c[0]!, c[2]!], /index 1 is repeated/],
    ['a foreign chunk id', (c: ReportedChunk[]) => [{ ...c[0]!, chunkId: newChunkId() }, c[1]!, c[2]!], /placed .* there/],
    ['a short middle chunk', (c: ReportedChunk[]) => [c[0]!, { ...c[1]!, size: MiB - 1 }, c[2]!], /chunk 1 has 1048575 bytes; it must have 1048576/],
    ['a wrong last size', (c: ReportedChunk[]) => [c[0]!, c[1]!, { ...c[2]!, size: 11 }], /chunk 2 has 11 bytes/],
    ['a short checksum', (c: ReportedChunk[]) => [{ ...c[0]!, sha256: new Uint8Array(16) }, c[1]!, c[2]!], /16-byte sha256/],
    ['a duplicated replica', (c: ReportedChunk[]) => [{ ...c[0]!, replicas: ['a', 'a'] }, c[1]!, c[2]!], /names a replica twice/],
    ['a replica it was not placed on', (c: ReportedChunk[]) => [c[0]!, { ...c[1]!, replicas: ['a', 'x', 'c'] }, c[2]!], /chunk 1 names replica "x", which it was not placed on \(a, b, c, d\)/],
  ])('refuses %s (InvalidArgument)', (_name, mutate, message) => {
    expect(() => check(mutate(good()))).toThrow(expect.objectContaining({ code: Code.InvalidArgument, message: expect.stringMatching(message) }));
  });

  it('refuses too few durable replicas (FailedPrecondition)', () => {
    const c = good();
    c[1] = { ...c[1]!, replicas: ['a'] };
    expect(() => check(c)).toThrow(expect.objectContaining({ code: Code.FailedPrecondition, message: expect.stringMatching(/chunk 1 is durable on 1 node/) }));
  });

  it('refuses a size other than the declared one, and a bad file checksum', () => {
    expect(() => check(good(), { size: size + 1 })).toThrow(/declared 2097162 bytes but the commit says 2097163/);
    expect(() => check(good(), { fileSha256: new Uint8Array(31) })).toThrow(/file_sha256 must be 32 bytes/);
  });

  it('accepts an empty file with no chunks', () => {
    expect(checkCommit({ planned: [], reported: [], declaredSize: 0, size: 0, fileSha256: sha, chunkSize, minReplicas: 2 })).toEqual([]);
  });
});
