// Shared ESLint flat config: every project's eslint.config.cjs re-exports it.
// The module-boundary rule is what keeps the layering honest (see README).
const nx = require('@nx/eslint-plugin');

/** Which tags a project may depend on. Tags live in each project.json. */
const depConstraints = [
  // Apps are leaves: nothing imports an app, an app imports only libs.
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:tool'] },
  // The SDK ships to users: it may use shared libs, never server code.
  { sourceTag: 'scope:client', onlyDependOnLibsWithTags: ['scope:client', 'scope:shared'] },
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:server', onlyDependOnLibsWithTags: ['scope:server', 'scope:shared'] },
  // Test tools and benchmarks drive any part of the system.
  { sourceTag: 'scope:test', onlyDependOnLibsWithTags: ['scope:shared', 'scope:server', 'scope:client', 'scope:test'] },
];

module.exports = [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist/**', '**/out-tsc/**', '**/src/gen/**', '**/*.cjs', '**/*.js'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        { enforceBuildableLibDependency: false, banTransitiveDependencies: false, depConstraints },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'off',
      'no-console': 'error',
      // Non-null assertions mark invariants the types cannot see (index maps, set-once fields).
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Tests may also use the test tools (real processes, clusters).
    files: ['**/*.spec.ts', '**/test/**/*.ts'],
    rules: {
      'no-console': 'off',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          banTransitiveDependencies: false,
          depConstraints: depConstraints.map((c) => ({
            ...c,
            onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, c.sourceTag.startsWith('type:') ? 'type:tool' : 'scope:test'],
          })),
        },
      ],
    },
  },
];

module.exports.depConstraints = depConstraints;
