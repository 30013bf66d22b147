// Child process of the SIGKILL durability test: commits one file through the
// built store (dist), prints its id the moment commitFile resolves, then
// waits to be killed without closing anything.
const { createMetadataStore } = require('../../../dist/index.js');

async function main() {
  const [dir, path] = process.argv.slice(2);
  const store = await createMetadataStore({ backend: 'embedded', dataDir: dir });
  const { file } = await store.commitFile({
    uploadId: `durability-${process.pid}`,
    path,
    size: 1024,
    sha256: new Uint8Array(32).fill(7),
    chunkSize: 1024,
    replication: 1,
    overwrite: false,
    chunks: [{ chunkId: 'a'.repeat(32), index: 0, size: 1024, sha256: new Uint8Array(32).fill(1), replicas: ['n1'] }],
  });
  process.stdout.write(`committed ${file.fileId}\n`);
  setInterval(() => undefined, 60_000);
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
