import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code } from '@dfs/proto';
import { createMetadataStore, type MetadataStoreConfig } from './create-metadata-store.js';

async function codeOf(p: Promise<unknown>): Promise<Code | undefined> {
  return p.then(
    () => undefined,
    (err: { code?: Code }) => err.code,
  );
}

describe('createMetadataStore', () => {
  it('opens a memory store and an embedded store', async () => {
    const memory = await createMetadataStore({ backend: 'memory' });
    expect(memory.backend).toBe('memory');
    await memory.close();
    const dir = await mkdtemp(join(tmpdir(), 'dfs-create-'));
    try {
      const embedded = await createMetadataStore({ backend: 'embedded', dataDir: dir });
      expect(embedded.backend).toBe('embedded');
      await embedded.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects a configuration it cannot use (InvalidArgument)', async () => {
    expect(await codeOf(createMetadataStore({ backend: 'embedded', dataDir: '' }))).toBe(Code.InvalidArgument);
    expect(await codeOf(createMetadataStore({ backend: 'etcd', endpoints: [] }))).toBe(Code.InvalidArgument);
    expect(await codeOf(createMetadataStore({ backend: 'sqlite' } as unknown as MetadataStoreConfig))).toBe(Code.InvalidArgument);
  });
});
