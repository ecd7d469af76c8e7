/** Two projects: unit specs beside the code, e2e specs under test/ against the real app and database. */
// Every test process runs in a zone away from UTC (set here, before Jest starts its workers),
// so no code can lean on the server's zone being UTC and pass only because the suite's is.
process.env.TZ = 'Asia/Kolkata';
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  },
];
// The @tally/<lib> aliases are tsconfig.json's paths, mapped for Jest.
const { paths } = require('./tsconfig.json').compilerOptions;
const moduleNameMapper = Object.fromEntries(
  Object.entries(paths).map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target.replace(/^\.\//, '')}`]),
);
// NestJS 12 ships ES modules only; Jest (CommonJS here) compiles them with the same swc transform.
const common = {
  transform: { '^.+\\.(t|m?j)s$': swc },
  // content-disposition (under @fastify/static, which serves /docs), jose and marked ship ES modules only too.
  transformIgnorePatterns: [
    '/node_modules/(?!(@nestjs/(?!throttler))|@electric-sql/|@fastify/static/node_modules/content-disposition/|content-disposition/|jose/|marked/)',
  ],
  moduleNameMapper,
  testEnvironment: 'node',
  rootDir: __dirname,
};

module.exports = {
  maxWorkers: process.env.CI ? 2 : '50%',
  testTimeout: 60_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,packages}/**/*.spec.ts'], testPathIgnorePatterns: ['/node_modules/', '/dist/'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      // Compiles the app once per run for the tests that spawn the real server process.
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      slowTestThreshold: 30,
    },
  ],
};
