import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// The layering rules are only worth having if they bite: lint probe files
// placed (virtually) inside real projects and check what is reported.
const root = join(__dirname, '../../..');

function boundaryErrors(fileInRepo: string, source: string): string[] {
  const run = spawnSync(
    process.execPath,
    [join(root, 'node_modules/eslint/bin/eslint.js'), '--config', 'tools/eslint/eslint.base.cjs', '--format', 'json', '--stdin', '--stdin-filename', fileInRepo],
    { cwd: root, input: source, encoding: 'utf8' },
  );
  if (run.status !== 0 && run.status !== 1) throw new Error(`eslint failed (${run.status}): ${run.stderr}`);
  const [result] = JSON.parse(run.stdout) as Array<{ messages: Array<{ ruleId: string | null; message: string }> }>;
  return result!.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('module boundaries', () => {
  it('forbid a lib importing an app', () => {
    // Every lib is below the datanode, so the rule reports the cycle first.
    const errors = boundaryErrors('libs/streamer/src/probe.ts', "import '@dfs/datanode';\n");
    expect(errors.join('\n')).toMatch(/type:lib.*can only depend on libs tagged with "type:lib"|Circular dependency between "streamer" and "datanode"/);
  });

  it('forbid shared code (which the SDK may use) importing server code', () => {
    const errors = boundaryErrors('libs/client-pool/src/probe.ts', "import { createChunkStore } from '@dfs/chunk-store';\nexport const x = createChunkStore;\n");
    expect(errors.join('\n')).toMatch(/scope:shared.*can only depend on libs tagged with "scope:shared"/);
  });

  it('forbid a lib importing test tools', () => {
    const errors = boundaryErrors('libs/chunk-store/src/probe.ts', "import { startDatanodeProcess } from '@dfs/test-cluster';\nexport const x = startDatanodeProcess;\n");
    expect(errors.join('\n')).toMatch(/type:lib.*can only depend on libs tagged with "type:lib"/);
  });

  it('forbid app code importing test tools', () => {
    const errors = boundaryErrors('apps/datanode/src/probe.ts', "import { startDatanodeProcess } from '@dfs/test-cluster';\nexport const x = startDatanodeProcess;\n");
    expect(errors.length).toBeGreaterThan(0);
  });

  it('keep the SDK (scope:client) to client and shared code', () => {
    // No scope:client project exists yet; the constraint it will meet is this one.
    const { depConstraints } = require('../eslint.base.cjs') as { depConstraints: Array<{ sourceTag: string; onlyDependOnLibsWithTags: string[] }> };
    const client = depConstraints.find((c) => c.sourceTag === 'scope:client');
    expect(client?.onlyDependOnLibsWithTags.sort()).toEqual(['scope:client', 'scope:shared']);
  });

  it('allow an app to use server and shared libs, and its tests to use test tools', () => {
    expect(boundaryErrors('apps/datanode/src/probe.ts', "import { createChunkStore } from '@dfs/chunk-store';\nexport const x = createChunkStore;\n")).toEqual([]);
    expect(boundaryErrors('apps/datanode/src/probe.spec.ts', "import { startDatanodeProcess } from '@dfs/test-cluster';\nexport const x = startDatanodeProcess;\n")).toEqual([]);
  });
});
