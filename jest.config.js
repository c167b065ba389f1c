/** Jest runs TypeScript through swc (fast, with decorator metadata for Nest). Tiers by suffix:
 *  *.unit.spec.ts (pure), *.int.spec.ts (real SQLite / Temporal), *.e2e.spec.ts (the running product). */
const fs = require('fs');
const swcrc = JSON.parse(fs.readFileSync(`${__dirname}/.swcrc`, 'utf8'));
delete swcrc.jsc.paths;
delete swcrc.jsc.baseUrl;
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/workflows', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swcrc, swcrc: false }] },
  moduleNameMapper: {
    '^@app/domain$': '<rootDir>/libs/domain/src',
    '^@app/event-store$': '<rootDir>/libs/event-store/src',
    '^@app/read-models$': '<rootDir>/libs/read-models/src',
    '^@app/service-calls$': '<rootDir>/libs/service-calls/src',
    '^@app/config$': '<rootDir>/libs/config/src',
    '^@app/outbound$': '<rootDir>/libs/outbound/src',
    '^@app/coordination$': '<rootDir>/libs/coordination/src',
    '^@app/workflows$': '<rootDir>/workflows/src',
  },
  testTimeout: 60000,
};
