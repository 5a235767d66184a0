// One config, three tiers (projects): unit needs nothing; int and e2e need the real
// PostgreSQL and Kafka, which the global setup finds or starts (scripts/lib/infra.mjs).
const { compilerOptions } = require('./tsconfig.base.json');

const tsJest = [
  'ts-jest',
  {
    tsconfig: {
      ...compilerOptions,
      composite: false,
      incremental: false,
      declaration: false,
      declarationMap: false,
      // Type checking is tsc's job (npm run build); tests only transpile.
      isolatedModules: true,
    },
  },
];

const base = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': tsJest },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  moduleNameMapper: { '^@strata/([^/]+)$': '<rootDir>/libs/$1/src/index.ts' },
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.strata/'],
};

module.exports = {
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,e2e}/**/*.unit.spec.ts'] },
    {
      ...base,
      displayName: 'int',
      // Real brokers: a consumer group join alone can take seconds.
      setupFilesAfterEnv: ['<rootDir>/test/timeout-int.cjs'],
      testMatch: ['<rootDir>/{apps,libs,e2e}/**/*.int.spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.mjs',
    },
    {
      ...base,
      displayName: 'e2e',
      setupFilesAfterEnv: ['<rootDir>/test/timeout-e2e.cjs'],
      testMatch: ['<rootDir>/{apps,libs,e2e}/**/*.e2e.spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.mjs',
    },
  ],
};
