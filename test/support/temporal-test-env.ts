import { waitFor } from './graphql-client';
/**
 * Workflow tests with real parts: Temporal's time-skipping test server, the real workflow bundle,
 * the worker's real activities (a Nest application context over a SQLite event store and read
 * models in a temporary DATA_DIR) and the real dispatcher feeding workflows from the log.
 */
import { AppConfig } from '@app/config';
import { CoordinationModule } from '@app/coordination';
import { callExists, foldServiceCall, PhaseStatus, ServiceCall, serviceCallStreamId, Step } from '@app/domain';
import { EventStore, RecordedEvent } from '@app/event-store';
import { Projector, ReadModelConnection, ReadModelsModule } from '@app/read-models';
import { ServiceCallsModule } from '@app/service-calls';
import { OutboundModule, webhookRetryOf } from '@app/outbound';
import type { ServiceCallActivities } from '@app/workflows';
import { Global, INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type PatchActivationCallback, type WorkflowBundle } from '@temporalio/worker';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AutomatedActionRegistry } from '../../apps/worker/src/actions/automated-action.registry';
import { NotifyCustomerAction } from '../../apps/worker/src/actions/notify-customer.action';
import { ReviewCustomerHistoryAction } from '../../apps/worker/src/actions/review-customer-history.action';
import { ServiceCallActivitiesService } from '../../apps/worker/src/activities/service-call.activities';
import { AftercareActivitiesService } from '../../apps/worker/src/aftercare/aftercare.activities';
import { WorkflowDispatcher } from '../../apps/worker/src/dispatcher/workflow-dispatcher';
import { CallRouter } from '../../apps/worker/src/routing/call-router';
import { RoutingSupervisor } from '../../apps/worker/src/routing/routing-supervisor';
import { slaTimerSinks } from '../../apps/worker/src/sla/sla-due-timers';
import { workflowBundleOptions } from '../../apps/worker/src/temporal/workflow-bundle';
import { temporalCliExecutable, testServerExecutable } from '../tools/temporal-servers';

export interface WorkflowTestEnv {
  dataDir: string;
  taskQueue: string;
  env: TestWorkflowEnvironment;
  app: INestApplicationContext;
  store: EventStore;
  projector: Projector;
  activities: ServiceCallActivitiesService;
  dispatcher: WorkflowDispatcher;
  /** Shuts the worker down and starts a new one on the same task queue, as a restart or a new deployment does. */
  restartWorker(): Promise<void>;
  /** Shuts the worker down (a downtime: the server's clock may move on meanwhile); startWorker() brings one back. */
  stopWorker(): Promise<void>;
  /**
   * Starts a worker on the task queue, with the real workflow bundle unless another is given (earlier
   * workflow code); `options` may replace some activities, and decide which patches a live run takes
   * (`patchActivationCallback` returning false for a patch: the code before it, as the release before ran).
   */
  startWorker(workflowBundle?: WorkflowBundle, options?: WorkerTestOptions): Promise<void>;
  /** The call's events, oldest first. */
  streamOf(callId: string): Promise<RecordedEvent[]>;
  /** The call as its stream says (the truth, ahead of any read model). */
  callOf(callId: string): Promise<ServiceCall>;
  close(): Promise<void>;
}

export interface WorkerTestOptions {
  /** activities that replace the real ones of this worker (e.g. to delay an answer) */
  activities?: Partial<ServiceCallActivities>;
  patchActivationCallback?: PatchActivationCallback;
}

/** The worker's providers (WorkerModule without its Temporal connection), with config from the test. */
export function workerTestModule(config: AppConfig) {
  @Global()
  @Module({ providers: [{ provide: AppConfig, useValue: config }], exports: [AppConfig] })
  class TestConfigModule {}

  @Module({
    imports: [TestConfigModule, CoordinationModule, ServiceCallsModule, ReadModelsModule.forRoot({ project: true }), OutboundModule],
    providers: [ReviewCustomerHistoryAction, NotifyCustomerAction, AutomatedActionRegistry, ServiceCallActivitiesService, AftercareActivitiesService, CallRouter, RoutingSupervisor],
  })
  class WorkflowTestModule {}
  return WorkflowTestModule;
}

let bundle: Promise<WorkflowBundle> | undefined;
/** webpack takes seconds: bundle the workflows once per test file. */
function workflowBundle(logger: DefaultLogger): Promise<WorkflowBundle> {
  bundle ??= bundleWorkflowCode({ ...workflowBundleOptions(), logger });
  return bundle;
}

let runtimeInstalled = false;

/**
 * Starts everything; `close()` stops it in reverse order and deletes the DATA_DIR. Options: more
 * configuration (`env`, e.g. SMTP_URL, FOLLOW_UP_AFTER), and whether the dispatcher starts the
 * aftercare workflows (their timers would fire whenever the server skips time in other tests).
 */
export async function startWorkflowTestEnv(
  name = 'workflow',
  {
    env: configEnv = {},
    aftercare = false,
    realTime = false,
  }: {
    env?: Record<string, string>;
    aftercare?: boolean;
    /**
     * the Temporal dev server (real time) instead of the time-skipping one, whose clock stands still
     * while a workflow task waits for a worker: a downtime cannot be skipped over there
     */
    realTime?: boolean;
  } = {},
): Promise<WorkflowTestEnv> {
  // The SDK logs every worker state change at INFO; tests only need to see what went wrong.
  const logger = new DefaultLogger('WARN');
  if (!runtimeInstalled) {
    Runtime.install({ logger });
    runtimeInstalled = true;
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  const taskQueue = `${name}-${process.pid}-${Date.now()}`;
  const closers: (() => unknown)[] = [() => fs.rmSync(dataDir, { recursive: true, force: true })];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await closer();
  };
  try {
    const config = new AppConfig({ ...configEnv, DATA_DIR: dataDir });
    const app = await NestFactory.createApplicationContext(workerTestModule(config), {
      logger: ['error', 'warn'],
    });
    closers.push(() => app.close());
    const env = realTime
      ? await TestWorkflowEnvironment.createLocal({ server: { executable: temporalCliExecutable() } })
      : await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: testServerExecutable() } });
    closers.push(() => env.teardown());
    const activities = app.get(ServiceCallActivitiesService);
    const startWorker = async (bundle?: WorkflowBundle, options: WorkerTestOptions = {}) => {
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle: bundle ?? (await workflowBundle(logger)),
        activities: { ...activities.asActivities(), ...app.get(AftercareActivitiesService).asActivities(), ...options.activities },
        ...(options.patchActivationCallback ? { patchActivationCallback: options.patchActivationCallback } : {}),
        // No sticky cache: the time-skipping server never moves a workflow off a stopped worker's sticky
        // queue (restartWorker), and every workflow task replays the history, a determinism check in passing.
        maxCachedWorkflows: 0,
        // the worker's SLA due timers run on real time, not the server's skipped time: these tests see the workflow's own timers
        sinks: slaTimerSinks({ armed: () => undefined }),
      });
      const running = worker.run();
      return async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      };
    };
    let stopWorker: () => Promise<void> = await startWorker();
    closers.push(() => stopWorker());
    const restartWorker = async () => {
      await stopWorker();
      stopWorker = await startWorker();
    };
    const downtime = {
      stopWorker: async () => {
        await stopWorker();
        stopWorker = async () => undefined;
      },
      startWorker: async (bundle?: WorkflowBundle, options?: WorkerTestOptions) => {
        await stopWorker();
        stopWorker = await startWorker(bundle, options);
      },
    };
    const store = app.get(EventStore);
    const routing = app.get(RoutingSupervisor);
    const dispatcher = new WorkflowDispatcher(store, app.get(ReadModelConnection).db, env.client.workflow, {
      taskQueue,
      ...(aftercare ? { aftercare: config.aftercare } : {}),
      webhookRetry: webhookRetryOf(config),
      onEvent: (event) => routing.eventSeen(event),
      // without a workflow cache, a signal that arrives while a local activity runs costs one workflow
      // task timeout on the test server (an SDK/test-server interaction): keep that short here
      workflowTaskTimeout: '2s',
    });
    routing.start();
    await dispatcher.start();
    closers.push(() => dispatcher.stop());
    const streamOf = (callId: string) => store.readStream(serviceCallStreamId(callId));
    const callOf = async (callId: string) => {
      const state = foldServiceCall(await streamOf(callId));
      if (!callExists(state)) throw new Error(`call ${callId} not found`);
      return state;
    };
    return { dataDir, taskQueue, env, app, store, projector: app.get(Projector), activities, dispatcher, restartWorker, ...downtime, streamOf, callOf, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Polls `probe` until it returns a value (not undefined/false); the shared poller of the test helpers. */
export function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  // 30 s: a run without a cache (maxCachedWorkflows 0) that gets a signal while a local activity runs
  // waits out one workflow task timeout (10 s) on the test server; that alone must not fail a test
  { timeoutMs = 30_000, intervalMs = 10 } = {},
): Promise<T> {
  return waitFor(probe, timeoutMs, { intervalMs, description: what });
}

/**
 * Until the run has no workflow task scheduled or running and no activity. The test server's describe()
 * does not show a task that has started (a worker holds it while its local activities run), so the
 * history says whether the last task was completed: signals sent while one is open reach the run
 * together with what it decided, and a test that means to signal an idle run would not.
 */
export async function untilWorkflowIdle(handle: WorkflowHandle): Promise<void> {
  await eventually('the workflow idle', async () => {
    const { raw, status } = await handle.describe();
    if (status.name !== 'RUNNING') return true;
    if (raw.pendingWorkflowTask || (raw.pendingActivities?.length ?? 0) > 0) return false;
    const tasks = ((await handle.fetchHistory()).events ?? []).filter(
      (e) => e.workflowTaskScheduledEventAttributes || e.workflowTaskStartedEventAttributes || e.workflowTaskCompletedEventAttributes,
    );
    return tasks.at(-1)?.workflowTaskCompletedEventAttributes !== undefined;
  });
}

export function stepOf(call: ServiceCall, stepKey: string): Step {
  const step = call.phases.flatMap((p) => p.steps).find((s) => s.key === stepKey);
  if (!step) throw new Error(`no step ${stepKey}`);
  return step;
}

export const phaseStatus = (call: ServiceCall, phaseKey: string): PhaseStatus => call.phases.find((p) => p.key === phaseKey)!.status;

export type { RecordedEvent };
