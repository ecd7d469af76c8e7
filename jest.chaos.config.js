/**
 * The fault tests (`npm run test:chaos`): the compiled server killed and restarted, its
 * Postgres restarted under load. They run on their own, one file at a time, and are not part
 * of `npm test`: each takes a minute or more and drives the whole machine.
 */
const base = require('./jest.config.js');

const e2e = base.projects.find((p) => p.displayName === 'e2e');

module.exports = {
  maxWorkers: 1,
  testTimeout: 600_000,
  projects: [
    {
      ...e2e,
      displayName: 'chaos',
      testMatch: ['<rootDir>/test/chaos/**/*.chaos-spec.ts'],
      slowTestThreshold: 300,
    },
  ],
};
