import { AppConfig } from '@app/config';
import { Coordination, Leadership } from '@app/coordination';
import { EventStore } from '@app/event-store';
import { webhookRetryOf } from '@app/outbound';
import { assertCheckpointsBelongTo, ReadModelConnection } from '@app/read-models';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Connection, WorkflowClient } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { ServiceCallActivitiesService } from '../activities/service-call.activities';
import { AftercareActivitiesService } from '../aftercare/aftercare.activities';
import { WorkflowDispatcher } from '../dispatcher/workflow-dispatcher';
import { WorkerHealthServer } from '../health/worker-health.server';
import { RoutingSupervisor } from '../routing/routing-supervisor';
import { SlaDueTimers, slaTimerSinks } from '../sla/sla-due-timers';
import { prebuiltWorkflowBundle, workflowBundleOptions } from './workflow-bundle';

/** Workflow tasks a worker holds at once (see start()). */
export const WORKFLOW_TASKS_AT_ONCE = 8;

/** Runs the Temporal worker (workflows + activities) and the dispatcher that feeds workflows from the log. */
@Injectable()
export class TemporalWorkerService implements OnApplicationShutdown {
  private readonly logger = new Logger('TemporalWorker');
  private worker?: Worker;
  private running?: Promise<void>;
  private dispatcher?: WorkflowDispatcher;
  private readonly leaderships: Leadership[] = [];
  private health?: WorkerHealthServer;
  private connections: { close(): Promise<void> }[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly activities: ServiceCallActivitiesService,
    private readonly aftercare: AftercareActivitiesService,
    private readonly store: EventStore,
    private readonly readModels: ReadModelConnection,
    private readonly slaDueTimers: SlaDueTimers,
    private readonly routing: RoutingSupervisor,
    private readonly coordination: Coordination,
  ) {}

  async start(): Promise<void> {
    // the dispatcher's checkpoint is a position in this event store's log: refuse another store's
    await assertCheckpointsBelongTo(this.readModels.db, this.store);
    const nativeConnection = await NativeConnection.connect({ address: this.config.temporalAddress });
    const clientConnection = await Connection.connect({ address: this.config.temporalAddress });
    this.connections.push(nativeConnection, clientConnection);
    const bundle = prebuiltWorkflowBundle();
    this.worker = await Worker.create({
      connection: nativeConnection,
      namespace: this.config.temporalNamespace,
      taskQueue: this.config.taskQueue,
      ...(bundle ? { workflowBundle: { codePath: bundle } } : { ...workflowBundleOptions() }),
      activities: { ...this.activities.asActivities(), ...this.aftercare.asActivities() },
      sinks: slaTimerSinks(this.slaDueTimers),
      // a worker killed with a call's workflow in its cache holds that workflow's next task on its sticky
      // queue for this long (Temporal's default 10 s); then any worker replays the history and goes on
      stickyQueueScheduleToStartTimeout: this.config.temporalStickyQueueTimeoutMs,
      // workflow tasks held at once (SDK default 40): a task the worker took waits inside it for the CPU
      // and its local activities, and with the short task timeout above a backlog of 40 timed out
      // (measured: p50 1.7 s per task, 11% timed out at 3 s on two busy cores); fewer at once leave the
      // rest queued on the server, where waiting costs nothing
      maxConcurrentWorkflowTaskExecutions: WORKFLOW_TASKS_AT_ONCE,
    });
    this.running = this.worker.run();
    const client = new WorkflowClient({ connection: clientConnection, namespace: this.config.temporalNamespace });
    this.dispatcher = new WorkflowDispatcher(this.store, this.readModels.db, client, {
      taskQueue: this.config.taskQueue,
      aftercare: this.config.aftercare,
      webhookRetry: webhookRetryOf(this.config),
      onEvent: (event) => this.routing.eventSeen(event),
      // a task started by a worker that then died is given to another one after this long (default 10 s)
      workflowTaskTimeout: this.config.temporalWorkflowTaskTimeoutMs,
    });
    // one dispatcher and one routing supervisor across the workers: the leader's (the embedded default's
    // one worker always leads); the SLA due timers are per worker, for the workflows it runs (a
    // workflow runs on one worker at a time; a record twice is one record, by its idempotency key)
    const dispatcher = this.dispatcher;
    this.leaderships.push(
      this.coordination.lead('workflow-dispatcher', { start: () => dispatcher.start(), stop: () => dispatcher.stop() }),
      this.coordination.lead('routing-supervisor', { start: () => this.routing.start(), stop: () => this.routing.stop() }),
    );
    this.logger.log(`worker on task queue ${this.config.taskQueue} at ${this.config.temporalAddress}; leads: ${this.coordination.status().leads.join(', ') || 'nothing yet'}`);
    if (this.config.workerHealthPort !== undefined) {
      const worker = this.worker;
      this.health = new WorkerHealthServer(() => ({ ok: worker.getState() === 'RUNNING', body: { worker: worker.getState(), ...this.leadership() } }));
      this.logger.log(`health on port ${await this.health.listen(this.config.workerHealthPort)}`);
    }
  }

  /** Resolves when the worker stops (or rejects when it fails). */
  whenStopped(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /** What this worker leads, and what it would lead once the replica leading it is gone. */
  leadership(): { leads: string[]; waitingFor: string[] } {
    return this.coordination.status();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.health?.close();
    for (const leadership of this.leaderships.splice(0)) await leadership.resign();
    await this.dispatcher?.stop();
    if (this.worker && this.worker.getState() === 'RUNNING') this.worker.shutdown();
    await this.running?.catch(() => undefined);
    for (const c of this.connections) await c.close().catch(() => undefined);
  }
}

