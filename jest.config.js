/**
 * Jest 30 in native ESM with @swc/jest. Run through `npm test` (sets --experimental-vm-modules).
 * Two tiers (issue 29): `unit` is pure code (no emulator, no server, no build; seconds, runs anywhere:
 * `npm run test:unit`), `integration` is everything else (moto, real influxd and nginx, Chromium, checkov, the
 * built CLI). `make test` runs both. A new test file is integration unless it is listed in UNIT.
 */
const UNIT = [
  'test/app/cold-start.test.ts',
  'test/app/order.test.ts',
  'test/app/units.test.ts',
  'test/audit/credentials.test.ts',
  'test/aws/retry.test.ts',
  'test/aws/xml-parser.test.ts',
  'test/checks/catalogue.test.ts',
  'test/checks/ebs.test.ts',
  'test/checks/endpoint.test.ts',
  'test/checks/host.test.ts',
  'test/checks/net.test.ts',
  'test/checks/reach.test.ts',
  'test/checks/tables.test.ts',
  'test/checks/timestream.test.ts',
  'test/config.test.ts',
  'test/docs/paths.test.ts',
  'test/evaluate.test.ts',
  'test/host/parse.test.ts',
  'test/host/ssm-deadline.test.ts',
  'test/probe/target.test.ts',
  'test/publish/lifecycle.test.ts',
  'test/reliability/properties.test.ts',
  'test/render/output-backpressure.test.ts',
  'test/render/table.test.ts',
  'test/structure/kinds.test.ts',
  'test/structure/layers.test.ts',
  'test/trust-verdicts.test.ts',
  'test/util/cidr.test.ts',
  'test/util/credentials.test.ts',
  'test/util/text.test.ts',
  'test/version.test.ts',
].map((f) => `<rootDir>/${f}`);

const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    // keepImportAttributes: a JSON import keeps its `with { type: 'json' }` (lib/app/events.ts), as Node requires.
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022', experimental: { keepImportAttributes: true } },
        module: { type: 'es6' },
      },
    ],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};

export default {
  testTimeout: 60000,
  projects: [
    { ...common, displayName: 'unit', testMatch: UNIT },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: UNIT.map((f) => f.replace('<rootDir>/', '/').replace(/[.]/g, '\\.')),
      globalSetup: '<rootDir>/test/support/global-setup.js',
      globalTeardown: '<rootDir>/test/support/global-teardown.js',
    },
  ],
};
