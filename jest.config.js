/** Unit specs beside the code; end-to-end specs in test/, each against a real PostgreSQL. */
// Transpile only (tsconfig.jest.json sets isolatedModules); `npm run build` and lint type-check.
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.jest.json' }];

/**
 * End-to-end suites that take long: outages, crashes, restarts and kills under load, concurrency, and one
 * TypeORM CLI run per migration (it grows with each). `npm run test:slow` runs them, and .ci/run
 * does, so that `npm test` stays a few minutes. Same setup as the other e2e suites.
 */
const SLOW = [
  'test/migrations.e2e-spec.ts',
  'test/resilience-outage.e2e-spec.ts',
  'test/resilience-restart.e2e-spec.ts',
  'test/dropped-connections.e2e-spec.ts',
  'test/embedded-initdb-interrupted.e2e-spec.ts',
  'test/idempotency-crash.e2e-spec.ts',
  'test/idempotency-concurrency.e2e-spec.ts',
];

const e2e = {
  testEnvironment: 'node',
  rootDir: '.',
  transform: { '^.+\\.ts$': tsJest },
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
};

module.exports = {
  testTimeout: 60000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/src/**/*.spec.ts'],
      transform: { '^.+\\.ts$': tsJest },
    },
    {
      ...e2e,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...SLOW.map((file) => `<rootDir>/${file.replace(/\./g, '\\.')}$`)],
    },
    { ...e2e, displayName: 'slow', testMatch: SLOW.map((file) => `<rootDir>/${file}`) },
  ],
};
