// Child process of the SIGKILL durability test: opens an upload (whose
// creation commits without an fsync of its own) and commits it through the
// built store (dist), prints the file id the moment commitFile resolves,
// then waits to be killed without closing anything.
const { createMetadataStore } = require('../../../dist/index.js');

async function main() {
  const [dir, path] = process.argv.slice(2);
  const store = await createMetadataStore({ backend: 'embedded', dataDir: dir });
  const uploadId = `durability-${process.pid}`;
  const chunkId = 'a'.repeat(32);
  const now = Date.now();
  await store.createUpload({
    uploadId,
    path,
    size: 1024,
    chunkSize: 1024,
    replication: 1,
    overwrite: false,
    createdAt: new Date(now),
    expiresAt: new Date(now + 3_600_000),
    placements: [{ index: 0, chunkId, nodeIds: ['n1'] }],
    abandonedChunkIds: [],
  });
  const { file } = await store.commitFile({
    uploadId,
    path,
    size: 1024,
    sha256: new Uint8Array(32).fill(7),
    chunkSize: 1024,
    replication: 1,
    overwrite: false,
    chunks: [{ chunkId, index: 0, size: 1024, sha256: new Uint8Array(32).fill(1), replicas: ['n1'] }],
  });
  process.stdout.write(`committed ${file.fileId} ${uploadId}\n`);
  setInterval(() => undefined, 60_000);
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
