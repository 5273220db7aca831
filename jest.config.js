// Nest 12 ships as native ES modules, so Jest runs in its ESM mode
// (`node --experimental-vm-modules`, see the `test` script) and ts-jest emits ESM.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // CommonJS that require()s Nest's ES modules: see the file for why and how.
    '^@nestjs/throttler$': '<rootDir>/test/support/throttler.esm.mjs',
    '^@nest-lab/throttler-storage-redis$': '<rootDir>/test/support/throttler-storage-redis.esm.mjs',
  },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  testTimeout: 20000,
};
