/**
 * The dashboard's browser tests (`npm run test:browser`): the dashboard built by Vite, served by
 * the real app, driven in Debian's Chromium by playwright-core. Not part of `npm test`: they
 * need /usr/bin/chromium, which `.ci/run` installs.
 */
const base = require('./jest.config.js');

const e2e = base.projects.find((p) => p.displayName === 'e2e');

module.exports = {
  maxWorkers: 1,
  testTimeout: 120_000,
  projects: [
    {
      ...e2e,
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
      globalSetup: '<rootDir>/test/support/browser-global-setup.ts',
      slowTestThreshold: 120,
    },
  ],
};
