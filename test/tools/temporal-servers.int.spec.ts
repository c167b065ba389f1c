// Smoke test of the Temporal servers that scripts/tools.mjs installs: the time-skipping test server
// (Java) and the dev server (Temporal CLI), each started by @temporalio/testing from an existing path.
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import type * as workflows from './fixtures/workflows';
import { temporalCliExecutable, testServerExecutable } from './temporal-servers';

const THIRTY_DAYS_MS = 30 * 24 * 60 * 60 * 1000;
const taskQueue = (name: string) => `tools-${name}-${process.pid}-${Date.now()}`;

// The SDK logs every worker state change at INFO; a smoke test only needs to show errors.
const logger = new DefaultLogger('ERROR');
Runtime.install({ logger });

let workflowBundle: WorkflowBundle;

beforeAll(async () => {
  // Bundle once (the same bundler Worker.create runs for workflowsPath) and share it between workers.
  workflowBundle = await bundleWorkflowCode({ workflowsPath: path.join(__dirname, 'fixtures', 'workflows.ts'), logger });
});

describe('time-skipping test server (TEMPORAL_TEST_SERVER_PATH)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: testServerExecutable() } });
  });
  afterAll(() => env?.teardown());

  it('runs a workflow that sleeps 30 days in a few seconds', async () => {
    const queue = taskQueue('time-skipping');
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: queue, workflowBundle });
    const started = Date.now();
    const slept = await worker.runUntil(
      env.client.workflow.execute<typeof workflows.sleepThirtyDays>('sleepThirtyDays', {
        taskQueue: queue,
        workflowId: queue,
      }),
    );
    expect(slept).toBeGreaterThanOrEqual(THIRTY_DAYS_MS);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

describe('dev server from the Temporal CLI (TEMPORAL_CLI_PATH)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await TestWorkflowEnvironment.createLocal({ server: { executable: temporalCliExecutable() } });
  });
  afterAll(() => env?.teardown());

  it('runs a workflow', async () => {
    const queue = taskQueue('dev-server');
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: queue, workflowBundle });
    const result = await worker.runUntil(
      env.client.workflow.execute<typeof workflows.greet>('greet', { taskQueue: queue, workflowId: queue, args: ['dev server'] }),
    );
    expect(result).toBe('hello, dev server');
  });
});
