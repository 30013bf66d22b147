/**
 * Node flags the DFS services (coordinator, datanode) run with: the Docker
 * images, local clusters and test clusters pass them before the script.
 *
 * Why: V8 counts the ArrayBuffers allocated since the last full GC against
 * the old generation's limit, and that limit starts at about 25 MB when the
 * heap is small, as a datanode's is. Moving chunk frames allocates a few MiB
 * per MiB moved (Connect envelopes, protobuf encoding, one copy per replica),
 * so a datanode ran a full mark-compact every ~16 MB it received. A 64 MB
 * initial old space makes those four times rarer: measured on 2 cores, a
 * 512 MiB upload used a third less datanode CPU and ran ~1.7x faster; the
 * buffers are freed by the next GC, so RSS rises by at most that much.
 * The flag is not allowed in NODE_OPTIONS, hence a list to pass explicitly.
 */
export const SERVICE_NODE_ARGS: readonly string[] = Object.freeze(['--initial-old-space-size=64']);
