// Shared jest setup: @swc/jest strips types (the typecheck target type-checks),
// and `.js` import specifiers map back to the `.ts` sources.
module.exports = (displayName, overrides = {}) => ({
  displayName,
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  // protobuf-es keeps its text codec on globalThis by design; jest's global
  // cleanup between files would only warn about it.
  testEnvironmentOptions: { globalsCleanup: 'off' },
  ...overrides,
});
