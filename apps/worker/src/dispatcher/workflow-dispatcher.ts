import { callIdOfStream, WebhookRetry, WORKFLOW_ACTOR } from '@app/domain';
import { EventStore, RecordedEvent } from '@app/event-store';
import { ReadModelDatabase, readCheckpoint, writeCheckpoint } from '@app/read-models';
import {
  AFTERCARE_EVENTS,
  AFTERCARE_START_EVENT,
  AFTERCARE_WORKFLOW_TYPE,
  AftercareDelays,
  aftercareWorkflowId,
  callEventSignal,
  SERVICE_CALL_WORKFLOW_TYPE,
  serviceCallWorkflowId,
} from '@app/workflows';
import { Logger } from '@nestjs/common';
import { WorkflowClient, WorkflowNotFoundError } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { toCallEventMessage } from '../activities/service-call.activities';
import { WakeableSleep } from '../shared/wakeable-sleep';

export const DISPATCHER_CHECKPOINT = 'workflow-dispatcher';

export interface DispatcherOptions {
  taskQueue: string;
  batchSize?: number;
  pollIntervalMs?: number;
  /** calls signalled at once (each call's own events stay in order) */
  maxConcurrentCalls?: number;
  /** the delays the aftercare workflows start with (configuration); unset: no aftercare workflows (tests of the process alone) */
  aftercare?: AftercareDelays;
  /** how the worker retries webhook sends: the workflows it starts derive their send activities' timeouts from it (the defaults when unset) */
  webhookRetry?: WebhookRetry;
  /** workflow task timeout of the workflows it starts (Temporal's default, 10 s, when unset) */
  workflowTaskTimeout?: Duration;
  /** sees every event read (after its batch was delivered): the routing supervisor's triggers */
  onEvent?: (event: RecordedEvent) => void;
}

/**
 * Delivers the log to the calls' workflows with signal-with-start: the workflow is started by its
 * call's first event and fed every later one. Checkpointed after each batch, so a crash redelivers at
 * most one batch (the workflow ignores versions it already has). Within a batch, calls are signalled
 * concurrently, each call's events in order.
 *
 * Two workflows per call: serviceCallWorkflow gets every event but its own (workflow actor), and the
 * aftercare workflow is started by ServiceCallResolved (whoever resolved) and gets the later
 * aftercare events of the call (any actor) while it runs; when it does not run, they are dropped.
 */
export class WorkflowDispatcher {
  private readonly logger = new Logger('WorkflowDispatcher');
  private running = false;
  private loop?: Promise<void>;
  private readonly pause = new WakeableSleep();
  private position = 0;

  constructor(
    private readonly store: EventStore,
    private readonly db: ReadModelDatabase,
    private readonly client: WorkflowClient,
    private readonly options: DispatcherOptions,
  ) {}

  get checkpoint(): number {
    return this.position;
  }

  /** Dispatches until stop(); resolves once it has read where to start. */
  async start(): Promise<void> {
    // from the stored checkpoint: another replica may have dispatched while this one did not lead
    this.position = await readCheckpoint(this.db, DISPATCHER_CHECKPOINT);
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.pause.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { batchSize = 256, pollIntervalMs = 5 } = this.options;
    let failures = 0;
    while (this.running) {
      try {
        const events = await this.store.readAll(this.position, batchSize);
        if (events.length === 0) {
          await this.pause.sleep(pollIntervalMs);
          continue;
        }
        await this.dispatch(events);
        if (this.options.onEvent) for (const event of events) this.options.onEvent(event);
        this.position = events[events.length - 1].position;
        await writeCheckpoint(this.db, DISPATCHER_CHECKPOINT, this.position);
        failures = 0;
      } catch (error) {
        failures++;
        this.logger.warn(`dispatch failed (attempt ${failures}), retrying: ${String(error)}`);
        await this.pause.sleep(Math.min(5000, 100 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  private async dispatch(events: RecordedEvent[]): Promise<void> {
    const byCall = new Map<string, RecordedEvent[]>();
    for (const event of events) {
      const callId = callIdOfStream(event.streamId);
      if (!callId || !(forServiceCallWorkflow(event) || this.forAftercare(event))) continue;
      byCall.set(callId, [...(byCall.get(callId) ?? []), event]);
    }
    const calls = [...byCall];
    const { maxConcurrentCalls = 16 } = this.options;
    // a bounded number of calls at a time: flooding Temporal with starts starves the workflows' own tasks
    const lane = async () => {
      for (let next = calls.shift(); next; next = calls.shift()) {
        const [callId, callEvents] = next;
        for (const event of callEvents) {
          if (forServiceCallWorkflow(event)) {
            await this.client.signalWithStart(SERVICE_CALL_WORKFLOW_TYPE, {
              workflowId: serviceCallWorkflowId(callId),
              taskQueue: this.options.taskQueue,
              ...this.taskTimeout(),
              args: [{ callId, ...this.webhookRetry() }],
              signal: callEventSignal,
              signalArgs: [toCallEventMessage(event)],
            });
          }
          if (this.forAftercare(event)) await this.toAftercare(callId, event);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(maxConcurrentCalls, calls.length) }, lane));
  }

  private webhookRetry(): { webhookRetry?: WebhookRetry } {
    return this.options.webhookRetry ? { webhookRetry: this.options.webhookRetry } : {};
  }

  private taskTimeout(): { workflowTaskTimeout?: Duration } {
    return this.options.workflowTaskTimeout ? { workflowTaskTimeout: this.options.workflowTaskTimeout } : {};
  }

  private forAftercare(event: RecordedEvent): boolean {
    return this.options.aftercare !== undefined && AFTERCARE_EVENTS.has(event.type);
  }

  private async toAftercare(callId: string, event: RecordedEvent): Promise<void> {
    const delays = this.options.aftercare;
    if (!delays) return;
    const message = toCallEventMessage(event);
    if (event.type === AFTERCARE_START_EVENT) {
      // a run that ended (reopened, or its round done) allows a new one with the same id (the default reuse policy)
      await this.client.signalWithStart(AFTERCARE_WORKFLOW_TYPE, {
        workflowId: aftercareWorkflowId(callId),
        taskQueue: this.options.taskQueue,
        ...this.taskTimeout(),
        args: [{ callId, ...delays, ...this.webhookRetry() }],
        signal: callEventSignal,
        signalArgs: [message],
      });
      return;
    }
    try {
      await this.client.getHandle(aftercareWorkflowId(callId)).signal(callEventSignal, message);
    } catch (error) {
      // no aftercare runs for the call (never resolved, or its aftercare is over): nothing to tell
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
  }

}

/** serviceCallWorkflow already has the events its own commands produced. */
function forServiceCallWorkflow(event: RecordedEvent): boolean {
  return event.metadata.actor !== WORKFLOW_ACTOR;
}
