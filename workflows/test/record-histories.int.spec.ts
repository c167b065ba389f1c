// Records Temporal histories of serviceCallWorkflow for the replay test
// (workflows/src/service-call/service-call.replay.int.spec.ts). Skipped unless RECORD_HISTORIES names
// the label of the files to write:
//
//   export $(node scripts/tools.mjs 2>/dev/null | grep =)
//   RECORD_HISTORIES=v2 npx jest workflows/test/record-histories
//
// writes workflows/test/histories/v2-<scenario>.json. Record with the workflow code that is (or was)
// deployed, and commit the files; never delete or re-record older ones: every running workflow of an
// earlier release must still replay. The v1 files were recorded from commit 3aeef65 (a git worktree of
// that commit with node_modules linked), the release before process templates.
import { callExists, foldServiceCall, serviceCallStreamId, ServiceCall, StepStatus, WORKFLOW_ACTOR } from '@app/domain';
import { RecordedEvent } from '@app/event-store';
import { ChangeServiceCallCommand, OpenServiceCallCommand } from '@app/service-calls';
import { CommandBus } from '@nestjs/cqrs';
import { WorkflowHandle } from '@temporalio/client';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ReviewCustomerHistoryAction } from '../../apps/worker/src/actions/review-customer-history.action';
import { eventually, startWorkflowTestEnv, WorkflowTestEnv } from '../../test/support/temporal-test-env';
import { historyToJson } from './history-json';
import { ProcessCommand } from '../src/service-call/service-call.activities';
import { callEventSignal, SERVICE_CALL_WORKFLOW_TYPE, serviceCallWorkflowId } from '../src/service-call/service-call.messages';

const LABEL = process.env.RECORD_HISTORIES;
export const HISTORIES_DIR = path.join(__dirname, 'histories');
const AGENT = 'apikey:recorder';

const recording = LABEL ? describe : describe.skip;

recording(`record serviceCallWorkflow histories as ${LABEL}-<scenario>.json`, () => {
  let t: WorkflowTestEnv;
  let bus: CommandBus;

  beforeAll(async () => {
    t = await startWorkflowTestEnv('record-histories');
    bus = t.app.get(CommandBus);
    fs.mkdirSync(HISTORIES_DIR, { recursive: true });
  }, 120_000);

  afterAll(() => t?.close(), 60_000);

  let opened = 0;
  async function openCall(name: string): Promise<string> {
    const { call } = await bus.execute(
      new OpenServiceCallCommand(
        { channel: 'EMAIL', category: 'appliances', summary: 'Washing machine leaks', customer: { name, email: `${name.toLowerCase().replace(/\W+/g, '.')}@example.com` } },
        { actor: AGENT, idempotencyKey: `record-${++opened}` },
      ),
    );
    return call.id;
  }

  const streamOf = (callId: string): Promise<RecordedEvent[]> => t.store.readStream(serviceCallStreamId(callId));
  async function callOf(callId: string): Promise<ServiceCall> {
    const state = foldServiceCall(await streamOf(callId));
    if (!callExists(state)) throw new Error(`call ${callId} not found`);
    return state;
  }
  const statusOf = (call: ServiceCall, stepKey: string) => call.phases.flatMap((p) => p.steps).find((s) => s.key === stepKey)?.status;
  const untilStep = (callId: string, stepKey: string, status: StepStatus) =>
    eventually(`${stepKey} ${status}`, async () => statusOf(await callOf(callId), stepKey) === status, { timeoutMs: 30_000 });
  const change = (callId: string, command: ProcessCommand) => bus.execute(new ChangeServiceCallCommand(callId, command, { actor: AGENT }));
  async function work(callId: string, stepKey: string, { start = false } = {}) {
    await untilStep(callId, stepKey, 'READY');
    if (start) await change(callId, { type: 'StartStep', data: { stepKey } });
    await change(callId, { type: 'CompleteStep', data: { stepKey, outcome: `${stepKey} done` } });
  }
  const workflowOf = (callId: string, runId?: string): WorkflowHandle => t.env.client.workflow.getHandle(serviceCallWorkflowId(callId), runId);

  /**
   * Waits until the run has had every event the dispatcher delivers (all but the workflow's own) and
   * its last workflow task is complete, then writes its history. Open runs end at that point.
   */
  async function save(scenario: string, callId: string, runId?: string): Promise<void> {
    const handle = workflowOf(callId, runId);
    const history = await eventually(
      `${scenario}: run settled`,
      async () => {
        const delivered = (await streamOf(callId)).filter((e) => e.metadata.actor !== WORKFLOW_ACTOR).length;
        const h = await handle.fetchHistory();
        const events = h.events ?? [];
        const signals = events.filter((e) => e.workflowExecutionSignaledEventAttributes).length;
        // after the last completed workflow task only its local activities' markers (or the end of the run) may follow
        const lastTask = events.map((e) => !!e.workflowTaskCompletedEventAttributes).lastIndexOf(true);
        const after = events.slice(lastTask + 1);
        const settled = lastTask >= 0 && after.every((e) => e.markerRecordedEventAttributes || e.workflowExecutionCompletedEventAttributes);
        return signals >= delivered && settled && h;
      },
      { timeoutMs: 30_000 },
    );
    const file = path.join(HISTORIES_DIR, `${LABEL}-${scenario}.json`);
    fs.writeFileSync(file, historyToJson(history) + '\n');
    console.log(`recorded ${path.relative(process.cwd(), file)}: ${history.events?.length} events`);
  }

  it('resolved: a standard complaint worked to RESOLVED (some steps started first), automation included', async () => {
    const id = await openCall('Rita Resolved');
    await work(id, 'record-complaint', { start: true });
    await work(id, 'confirm-understanding');
    await untilStep(id, 'review-customer-history', 'COMPLETED');
    await work(id, 'inspect-problem', { start: true });
    await work(id, 'identify-cause');
    await work(id, 'propose-solution');
    await work(id, 'agree-solution');
    await work(id, 'offer-compensation');
    await work(id, 'carry-out-solution', { start: true });
    await work(id, 'confirm-with-customer');
    await workflowOf(id).result();
    await save('resolved', id);
  });

  it('paused: waiting in diagnosis for a person after the automation completed (history ends open)', async () => {
    const id = await openCall('Paul Paused');
    await work(id, 'record-complaint');
    await work(id, 'confirm-understanding');
    await untilStep(id, 'review-customer-history', 'COMPLETED');
    await change(id, { type: 'StartStep', data: { stepKey: 'inspect-problem' } });
    await untilStep(id, 'inspect-problem', 'IN_PROGRESS');
    await save('paused', id);
  });

  it('automation-exhausted: the automation runs out of retries, and runs again once the call changes (history ends open)', async () => {
    const review = t.app.get(ReviewCustomerHistoryAction);
    const failing = jest.spyOn(review, 'run').mockRejectedValue(new Error('read models unavailable'));
    try {
      const id = await openCall('Erin Exhausted');
      await work(id, 'record-complaint');
      await work(id, 'confirm-understanding');
      await untilStep(id, 'inspect-problem', 'READY');
      // the retry backoff (1s, 2s, 4s, 8s) passes in skipped time
      await eventually('5 failed attempts', async () => {
        await t.env.sleep('10s');
        return failing.mock.calls.length >= 5;
      }, { timeoutMs: 60_000 });
      await eventually('the activity failed for good', async () => {
        const events = (await workflowOf(id).fetchHistory()).events ?? [];
        return events.some((e) => e.activityTaskFailedEventAttributes) && events[events.length - 1].workflowTaskCompletedEventAttributes;
      });
      expect(statusOf(await callOf(id), 'review-customer-history')).toBe('IN_PROGRESS');
      failing.mockRestore();
      await work(id, 'inspect-problem'); // the call changed: the workflow tries the automation again
      await untilStep(id, 'identify-cause', 'READY');
      await save('automation-exhausted', id);
    } finally {
      failing.mockRestore();
    }
  });

  it('caught-up: a new run for a call that progressed without it reads the stream and finishes the call', async () => {
    const id = await openCall('Gary Gap');
    await untilStep(id, 'record-complaint', 'READY');
    await t.dispatcher.stop();
    let runId: string;
    try {
      await workflowOf(id).terminate('simulated crash');
      const asWorkflow = (command: ProcessCommand, key: string) => t.activities.issueCommand({ callId: id, command, idempotencyKey: key });
      await change(id, { type: 'CompleteStep', data: { stepKey: 'record-complaint' } });
      await asWorkflow({ type: 'MarkStepsReady', data: { phaseKey: 'intake', stepKeys: ['confirm-understanding'] } }, 'ready:confirm-understanding');
      await change(id, { type: 'CompleteStep', data: { stepKey: 'confirm-understanding' } });
      await asWorkflow({ type: 'CompletePhase', data: { phaseKey: 'intake' } }, 'complete-phase:intake');
      await asWorkflow({ type: 'StartPhase', data: { phaseKey: 'diagnosis' } }, 'start-phase:diagnosis');
      await asWorkflow(
        { type: 'MarkStepsReady', data: { phaseKey: 'diagnosis', stepKeys: ['review-customer-history', 'inspect-problem'] } },
        'ready:inspect-problem,review-customer-history',
      );
      await asWorkflow({ type: 'StartStep', data: { stepKey: 'review-customer-history' } }, 'start-step:review-customer-history');
      await change(id, { type: 'CompleteStep', data: { stepKey: 'inspect-problem' } });
      const [first] = await streamOf(id);
      const restarted = await t.env.client.workflow.signalWithStart(SERVICE_CALL_WORKFLOW_TYPE, {
        workflowId: serviceCallWorkflowId(id),
        taskQueue: t.taskQueue,
        args: [{ callId: id }],
        signal: callEventSignal,
        signalArgs: [{ type: first.type, version: first.streamVersion, data: first.data }],
      });
      // the new run gets the opening event from this signal and the rest from the dispatcher
      runId = restarted.signaledRunId;
    } finally {
      t.dispatcher.start();
    }
    await untilStep(id, 'identify-cause', 'READY');
    for (const step of ['identify-cause', 'propose-solution', 'agree-solution', 'carry-out-solution', 'offer-compensation', 'confirm-with-customer']) {
      await work(id, step);
    }
    await workflowOf(id, runId).result();
    await save('caught-up', id, runId);
  });
});
