import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirSyncer } from './dir-syncer.js';

/** An fsync stand-in the test completes by hand: each call is recorded with its own outcome. */
function manualFsync() {
  const calls: { dir: string; resolve: () => void; reject: (err: Error) => void }[] = [];
  const fsync = (dir: string) => new Promise<void>((resolve, reject) => calls.push({ dir, resolve, reject }));
  return { calls, fsync };
}

/** Lets every pending promise reaction run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Whether `p` has settled, without waiting for it. */
function tracked<T>(p: Promise<T>): { readonly done: boolean; readonly failed: unknown; promise: Promise<T> } {
  const state = { done: false, failed: undefined as unknown, promise: p };
  p.then(
    () => (state.done = true),
    (err: unknown) => ((state.done = true), (state.failed = err)),
  );
  return state;
}

describe('DirSyncer', () => {
  it('answers a lone caller with an fsync of its own', async () => {
    const { calls, fsync } = manualFsync();
    const syncer = new DirSyncer(fsync);
    const a = tracked(syncer.sync('/d'));
    await settle();
    expect(calls.map((c) => c.dir)).toEqual(['/d']);
    expect(a.done).toBe(false);
    calls[0]!.resolve();
    await a.promise;
    expect(syncer.fsyncs).toBe(1);
  });

  it('never answers a caller with an fsync that was already running when it asked; later callers share the next one', async () => {
    const { calls, fsync } = manualFsync();
    const syncer = new DirSyncer(fsync);
    const first = tracked(syncer.sync('/d'));
    await settle();
    // These made their change while fsync #1 may already have passed it.
    const later = [tracked(syncer.sync('/d')), tracked(syncer.sync('/d')), tracked(syncer.sync('/d'))];
    await settle();
    expect(calls).toHaveLength(1);

    calls[0]!.resolve();
    await first.promise;
    await settle();
    expect(later.some((c) => c.done)).toBe(false);
    // One more fsync, started after all three asked, answers all three.
    expect(calls).toHaveLength(2);
    calls[1]!.resolve();
    await Promise.all(later.map((c) => c.promise));
    expect(syncer.fsyncs).toBe(2);
  });

  it('keeps directories apart', async () => {
    const { calls, fsync } = manualFsync();
    const syncer = new DirSyncer(fsync);
    const a = tracked(syncer.sync('/a'));
    const b = tracked(syncer.sync('/b'));
    await settle();
    expect(calls.map((c) => c.dir)).toEqual(['/a', '/b']);
    calls[1]!.resolve();
    await b.promise;
    expect(a.done).toBe(false);
    calls[0]!.resolve();
    await a.promise;
  });

  it('rejects the callers of a failed fsync only; those waiting for the next one get theirs', async () => {
    const { calls, fsync } = manualFsync();
    const syncer = new DirSyncer(fsync);
    const first = tracked(syncer.sync('/d'));
    await settle();
    const second = tracked(syncer.sync('/d'));
    calls[0]!.reject(new Error('EIO'));
    await settle();
    expect(first.failed).toEqual(new Error('EIO'));
    expect(second.done).toBe(false);
    expect(calls).toHaveLength(2);
    calls[1]!.resolve();
    await second.promise;
    expect(second.failed).toBeUndefined();
  });

  it('starts afresh once a directory is idle', async () => {
    const { calls, fsync } = manualFsync();
    const syncer = new DirSyncer(fsync);
    const first = syncer.sync('/d');
    await settle();
    calls[0]!.resolve();
    await first;
    const again = tracked(syncer.sync('/d'));
    await settle();
    expect(calls).toHaveLength(2);
    calls[1]!.resolve();
    await again.promise;
  });

  it('fsyncs real directories (the default)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dir-syncer-'));
    try {
      const syncer = new DirSyncer();
      const names = Array.from({ length: 20 }, (_, i) => `f${i}`);
      await Promise.all(
        names.map(async (name) => {
          await writeFile(join(dir, `${name}.tmp`), name);
          await rename(join(dir, `${name}.tmp`), join(dir, name));
          await syncer.sync(dir);
        }),
      );
      // Twenty renames, at least one fsync, never more than one per rename.
      expect(syncer.fsyncs).toBeGreaterThanOrEqual(1);
      expect(syncer.fsyncs).toBeLessThanOrEqual(20);
      await expect(syncer.sync(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
