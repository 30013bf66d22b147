import type { BenchOptions } from './bench-options.js';
import { BENCH_REPLICATION } from './case-context.js';

/** A target from issue 7, on the row's value or on its ratio to its limit. */
export interface Target {
  op: '>=' | '<';
  value: number;
  on: 'value' | 'ratio';
}

/** One line of the results table: what is measured, in which unit, against which limit and target. */
export interface RowSpec {
  id: string;
  group: string;
  label: string;
  unit: string;
  /** Id of the row this one is divided by, run by run (a machine limit). */
  limit?: string;
  target?: Target;
}

const MiB = 1024 * 1024;

/** "1 GiB", "64 KiB", "3 MiB": sizes in labels. */
export function sizeLabel(bytes: number): string {
  for (const [unit, size] of [['GiB', 1024 * MiB], ['MiB', MiB], ['KiB', 1024]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} B`;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * Every row the benchmark can print, in table order. Cases report values by
 * these ids; rows no case reported (a case not selected) are left out.
 */
export function rowSpecs(options: Pick<BenchOptions, 'metadata' | 'plan'>, coldRead = true): RowSpec[] {
  const p = options.plan;
  const disk = sizeLabel(p.diskBytes);
  const large = sizeLabel(p.largeBytes);
  const small = `${count(p.smallFiles)} × ${sizeLabel(p.smallFileBytes)}`;
  const ratioAtLeast = (value: number): Target => ({ op: '>=', value, on: 'ratio' });
  const under = (value: number): Target => ({ op: '<', value, on: 'value' });
  return [
    { id: 'limit.disk-write', group: 'limits', label: `disk: sequential write of ${disk} + fsync`, unit: 'MB/s' },
    { id: 'limit.write-r', group: 'limits', label: `write limit for R=${BENCH_REPLICATION} copies (disk write / ${BENCH_REPLICATION})`, unit: 'MB/s' },
    { id: 'limit.disk-read', group: 'limits', label: `disk: sequential read of ${disk}, ${coldRead ? 'cold (page cache dropped)' : 'WARM (could not drop the page cache)'}`, unit: 'MB/s' },
    { id: 'limit.sha256', group: 'limits', label: 'SHA-256 of 8 MiB buffers, one core', unit: 'MB/s' },
    { id: 'limit.http2', group: 'limits', label: 'plain Node HTTP/2 stream over loopback', unit: 'MB/s' },

    { id: 'large.upload', group: 'large file', label: `SDK upload of ${large} from a local file, R=${BENCH_REPLICATION}`, unit: 'MB/s', limit: 'limit.write-r', target: ratioAtLeast(0.55) },
    { id: 'large.download', group: 'large file', label: `SDK download of ${large} to a local file, cold`, unit: 'MB/s', limit: 'limit.disk-read', target: ratioAtLeast(0.35) },
    ...(['upload', 'download'] as const).flatMap((kind): RowSpec[] => [
      { id: `large.${kind}-cpu-client`, group: 'cpu', label: `client CPU per GB, ${large} ${kind}`, unit: 's/GB' },
      { id: `large.${kind}-cpu-datanodes`, group: 'cpu', label: `datanodes' CPU per GB (all 3 together), ${large} ${kind}`, unit: 's/GB' },
      { id: `large.${kind}-cpu-coordinator`, group: 'cpu', label: `coordinator CPU per GB, ${large} ${kind}`, unit: 's/GB' },
      { id: `large.${kind}-cpu-ceiling`, group: 'cpu', label: `${kind} rate if all cores did nothing else (cores × GB / CPU s)`, unit: 'MB/s' },
    ]),
    { id: 'large.upload-client-rss', group: 'memory', label: `client peak RSS, ${large} upload`, unit: 'MiB', target: under(200) },
    { id: 'large.download-client-rss', group: 'memory', label: `client peak RSS, ${large} download`, unit: 'MiB', target: under(200) },
    { id: 'large.upload-datanode-rss', group: 'memory', label: `datanode peak RSS (largest of 3), ${large} upload`, unit: 'MiB', target: under(300) },
    { id: 'large.download-datanode-rss', group: 'memory', label: `datanode peak RSS (largest of 3), ${large} download`, unit: 'MiB', target: under(300) },

    { id: 'small.upload', group: 'small files', label: `upload ${small}, ${p.smallInFlight} in flight`, unit: 'files/s', target: { op: '>=', value: 500, on: 'value' } },
    { id: 'small.download', group: 'small files', label: `download ${small}, ${p.smallInFlight} in flight`, unit: 'files/s' },
    { id: 'small.ls-cli', group: 'small files', label: `CLI \`dfs ls -l\` of the ${count(p.smallFiles)} files (process spawn included)`, unit: 'ms', target: under(100) },
    { id: 'small.cli-spawn', group: 'small files', label: 'CLI `dfs --version` (process spawn and oclif start only)', unit: 'ms' },
    { id: 'small.ls-net', group: 'small files', label: '`dfs ls -l` minus `dfs --version`', unit: 'ms' },
    { id: 'small.list-sdk', group: 'small files', label: `SDK list of the ${count(p.smallFiles)} files, client already connected`, unit: 'ms' },
    { id: 'small.delete-ms', group: 'small files', label: `SDK recursive delete of the ${count(p.smallFiles)} files`, unit: 'ms', target: under(100) },
    { id: 'small.delete', group: 'small files', label: 'recursive delete, files per second', unit: 'files/s' },
    { id: 'small.datanode-rss', group: 'memory', label: 'datanode peak RSS (largest of 3), small files', unit: 'MiB', target: under(300) },

    ...p.scalingLevels.map(
      (n): RowSpec => ({ id: `scaling.upload-${n}`, group: 'scaling', label: `${n} × ${sizeLabel(p.scalingFileBytes)} uploaded in parallel (one client)`, unit: 'MB/s', limit: 'limit.write-r' }),
    ),
    { id: 'scaling.client-rss', group: 'memory', label: `client peak RSS, ${Math.max(...p.scalingLevels)} uploads in parallel`, unit: 'MiB', target: under(200) },
    { id: 'scaling.datanode-rss', group: 'memory', label: 'datanode peak RSS (largest of 3), parallel uploads', unit: 'MiB', target: under(300) },
    { id: `scaling.download-${Math.max(...p.scalingLevels)}`, group: 'scaling', label: `${Math.max(...p.scalingLevels)} × ${sizeLabel(p.scalingFileBytes)} downloaded in parallel to local files (one client, warm)`, unit: 'MB/s' },
    { id: 'scaling.download-client-rss', group: 'memory', label: `client peak RSS, ${Math.max(...p.scalingLevels)} downloads in parallel`, unit: 'MiB', target: under(200) },

    { id: 'metadata.commit-serial', group: `metadata (${options.metadata}, store only)`, label: `commits of 1-chunk files, one at a time`, unit: 'commits/s' },
    { id: 'metadata.commit-parallel', group: `metadata (${options.metadata}, store only)`, label: `commits, 200 in flight (up to ${count(p.metadataFiles)} files)`, unit: 'commits/s' },
    { id: 'metadata.stat', group: `metadata (${options.metadata}, store only)`, label: `stat, one at a time, ${count(p.metadataFiles)} files`, unit: 'stat/s' },
    { id: 'metadata.list', group: `metadata (${options.metadata}, store only)`, label: `recursive list of ${count(p.metadataFiles)} files, pages of 1000`, unit: 'pages/s' },

    { id: 'heartbeats.cpu', group: 'coordinator', label: `coordinator CPU with ${p.heartbeatNodes} simulated datanodes beating every ${p.heartbeatIntervalMs / 1000} s`, unit: '% of a core' },
    { id: 'heartbeats.p99', group: 'coordinator', label: 'heartbeat RPC latency, 99th percentile', unit: 'ms' },
    { id: 'coordinator.report', group: 'coordinator', label: `restart with ${count(p.coordinatorFiles)} files: 3 nodes' chunk reports until the view is complete`, unit: 's' },
    { id: 'coordinator.report-slowest', group: 'coordinator', label: 'slowest single ReportChunks call of those (10,000 ids)', unit: 's' },
    { id: 'coordinator.heartbeat-max', group: 'coordinator', label: 'longest heartbeat round trip meanwhile (event loop stalls show here)', unit: 's' },
    { id: 'coordinator.reregistered', group: 'coordinator', label: 'nodes told to register again meanwhile (declared dead)', unit: 'times' },
    { id: 'coordinator.commit-rpc', group: 'coordinator', label: 'CreateUpload + CommitUpload RPCs of 1-chunk files, 64 in flight, after that', unit: 'files/s' },
    { id: 'coordinator.rss', group: 'memory', label: `coordinator peak RSS with ${count(p.coordinatorFiles)} files (${options.metadata})`, unit: 'MiB' },
  ];
}
