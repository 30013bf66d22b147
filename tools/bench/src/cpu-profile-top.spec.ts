import { moduleOf, selfTimeByModule, topFunctions, type CpuProfile } from './cpu-profile-top.js';
import { profileName } from './cpu-profile-preload.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 3, 4] },
    { id: 2, callFrame: frame('(idle)') },
    { id: 3, callFrame: frame('writeFrame', 'file:///w/libs/streamer/dist/write-chunk-stream.js', 41) },
    { id: 4, callFrame: frame('toBinary', 'file:///w/node_modules/@bufbuild/protobuf/dist/cjs/to-binary.js', 9) },
    // The same function reached by another path: added up.
    { id: 5, callFrame: frame('writeFrame', 'file:///w/libs/streamer/dist/write-chunk-stream.js', 41) },
  ],
  samples: [2, 3, 3, 4, 5, 2],
  // µs before each sample; each sample is charged the delta to the next one (the last one its own).
  timeDeltas: [0, 1000, 1000, 1000, 2000, 1000],
};

describe('cpu profile summaries', () => {
  it('ranks functions by self time, same function on several paths added up', () => {
    const top = topFunctions(profile);
    expect(top[0]).toMatchObject({ name: 'writeFrame libs/streamer:42', ms: 3 });
    expect(top.map((t) => t.name)).toEqual(['writeFrame libs/streamer:42', '(idle)', 'toBinary @bufbuild/protobuf:10']);
    expect(top.reduce((a, t) => a + t.share, 0)).toBeCloseTo(1);
  });

  it('adds self time up by package or workspace project', () => {
    expect(selfTimeByModule(profile).map((t) => [t.name, t.ms])).toEqual([
      ['libs/streamer', 3],
      ['(idle)', 2],
      ['@bufbuild/protobuf', 2],
    ]);
  });

  it('names modules briefly', () => {
    expect(moduleOf('node:internal/crypto/hash')).toBe('node:internal/crypto/hash');
    expect(moduleOf('file:///w/node_modules/pino/lib/proto.js')).toBe('pino');
    expect(moduleOf('')).toBe('(native or V8)');
  });

  it('names profile files after the app or script', () => {
    expect(profileName('/w/apps/datanode/dist/main.js')).toBe('datanode');
    expect(profileName('/w/tools/bench/dist/client-worker.js')).toBe('client-worker');
  });
});
