// Real DFS processes for tests and benchmarks: start, kill, pause, restart,
// and always stop them, also when a test fails.
export { ManagedProcess, stopAllProcesses, type ManagedProcessOptions } from './managed-process.js';
export { startDatanodeProcess, type DatanodeProcess, type DatanodeReady, type StartDatanodeOptions } from './start-datanode-process.js';
export { workspaceRoot } from './workspace-root.js';
export { startEtcd, freePorts, type EtcdServer, type StartEtcdOptions } from './start-etcd.js';
export { startCoordinatorProcess, type CoordinatorProcess, type CoordinatorReady, type StartCoordinatorOptions } from './start-coordinator-process.js';
export { eventually } from './eventually.js';
export { inTurn } from './in-turn.js';
export { chunkIdsIn, filesUnder } from './files-under.js';
export { corruptChunkFile } from './corrupt-chunk-file.js';
export { pacedSource } from './paced-source.js';
export { startCluster, type ClusterDatanode, type StartClusterOptions, type TestCluster } from './start-cluster.js';
