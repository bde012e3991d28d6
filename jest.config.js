// Jest runs TypeScript as native ESM through ts-jest (see ../shared/ENVIRONMENT.md).
// Three projects: unit tests need nothing; integration and e2e tests need the test
// environment (Docker engine, loopback registries, base images) that globalSetup starts.
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }]
  },
  testEnvironment: 'node'
}

export default {
  globalSetup: './test/harness/global-setup.js',
  globalTeardown: './test/harness/global-teardown.js',
  maxWorkers: 2,
  testTimeout: 120000,
  verbose: false,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts']
    },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] }
  ]
}
