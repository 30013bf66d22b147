#!/usr/bin/env node
// Where the time goes in a `node --cpu-prof` profile, as text: the functions
// with the most self time, and self time by package (or Node internal
// module). Enough to read a profile of `npm run bench -- --profile DIR` on a
// machine without a browser; flame graphs need Chrome DevTools or speedscope.
//
//   node tools/bench/dist/cpu-profile-top.js FILE.cpuprofile [--top 25]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/** The parts of V8's .cpuprofile format used here. */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
  /** Node id sampled at each tick. */
  samples: number[];
  /** Microseconds before each sample. */
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  ms: number;
  /** Share of all sampled time, 0..1. */
  share: number;
}

/** Self time per node id, in ms: each sample is charged the interval until the next one. */
function selfMsByNode(profile: CpuProfile): Map<number, number> {
  const ms = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
    ms.set(id, (ms.get(id) ?? 0) + Math.max(0, delta) / 1000);
  });
  return ms;
}

/** Self time summed by `keyOf(node)`, the `top` largest first. */
function selfTimeBy(profile: CpuProfile, top: number, keyOf: (frame: CpuProfile['nodes'][number]['callFrame']) => string): SelfTime[] {
  const byNode = selfMsByNode(profile);
  const totals = new Map<string, number>();
  for (const node of profile.nodes) {
    const ms = byNode.get(node.id);
    if (!ms) continue;
    const key = keyOf(node.callFrame);
    totals.set(key, (totals.get(key) ?? 0) + ms);
  }
  const all = [...totals.values()].reduce((a, b) => a + b, 0) || 1;
  return [...totals.entries()]
    .map(([name, ms]) => ({ name, ms, share: ms / all }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, top);
}

/** Where a script lives, short: a package name, `node:internal/…`, or the path under the workspace. */
export function moduleOf(url: string): string {
  if (url === '') return '(native or V8)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return url;
  const dfs = /\/(libs|apps|tools)\/([^/]+)\//.exec(url);
  return dfs ? `${dfs[1]}/${dfs[2]}` : url;
}

/** Functions by self time: "name module:line", with (garbage collector), (idle) and (program) as V8 names them. */
export function topFunctions(profile: CpuProfile, top = 25): SelfTime[] {
  return selfTimeBy(profile, top, ({ functionName, url, lineNumber }) => (url ? `${functionName || '(anonymous)'} ${moduleOf(url)}:${lineNumber + 1}` : functionName));
}

/** Self time summed per package / module. */
export function selfTimeByModule(profile: CpuProfile, top = 15): SelfTime[] {
  return selfTimeBy(profile, top, ({ functionName, url }) => (url ? moduleOf(url) : functionName));
}

function print(title: string, rows: SelfTime[]): void {
  process.stdout.write(`${title}\n`);
  for (const r of rows) process.stdout.write(`${r.ms.toFixed(0).padStart(8)} ms ${(r.share * 100).toFixed(1).padStart(5)}%  ${r.name}\n`);
}

if (require.main === module) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  if (positionals.length !== 1) {
    process.stderr.write('usage: node tools/bench/dist/cpu-profile-top.js FILE.cpuprofile [--top 25]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as CpuProfile;
  print('self time by function:', topFunctions(profile, Number(values.top)));
  print('\nself time by module:', selfTimeByModule(profile));
}
