// The cluster run's stalled call, made on purpose on the time-skipping server: two SLA records due at one
// moment run as parallel local activities and answer out of order (workflows/test/sla-records-out-of-order.ts).
// The release before patch gap-load-after-local-activities loaded the gap that the first answer showed
// while the other record still ran; with that load answered after the other record, the next workflow
// task's replay fails ("Missing associated machine for LocalActivity", or an activity id that does not
// match), and every one after it. The current code waits for the local activities in flight before it
// loads: nothing to load, every task replays, the call goes on. A run stalled that way goes on under the
// current code once reset to the workflow task before the load (shown on the dev server, in real time).
// The stored cluster history is replayed in service-call.replay.int.spec.ts.
import { ChangeServiceCallCommand, DefineSlaPolicyCommand, OpenServiceCallCommand } from '@app/service-calls';
import { CommandBus } from '@nestjs/cqrs';
import type { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, Worker, type WorkflowBundle } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { randomUUID } from 'node:crypto';
import { slaTimerSinks } from '../../../apps/worker/src/sla/sla-due-timers';
import { workflowBundleOptions } from '../../../apps/worker/src/temporal/workflow-bundle';
import { eventually, startWorkflowTestEnv, stepOf, untilWorkflowIdle, WorkflowTestEnv } from '../../../test/support/temporal-test-env';
import { slaRecordsAnsweredOutOfOrder } from '../../test/sla-records-out-of-order';
import { serviceCallWorkflowId } from './service-call.messages';
import { PATCHES } from './service-call.patches';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type GapLoad = 'answered-first' | 'answered-last';
const AGENT = 'apikey:la-order-agent';

let bundle: WorkflowBundle;
beforeAll(async () => {
  bundle = await bundleWorkflowCode({ ...workflowBundleOptions(), logger: new DefaultLogger('WARN') });
}, 120_000);

const handleOf = (t: WorkflowTestEnv, callId: string, runId?: string) => t.env.client.workflow.getHandle(serviceCallWorkflowId(callId), runId);
const historyOf = async (t: WorkflowTestEnv, callId: string, runId?: string): Promise<HistoryEvent[]> => (await handleOf(t, callId, runId).fetchHistory()).events ?? [];
const statusOf = async (t: WorkflowTestEnv, callId: string, stepKey: string) => stepOf(await t.callOf(callId), stepKey).status;
const failedTasks = (events: HistoryEvent[]) => events.filter((e) => e.workflowTaskFailedEventAttributes).map((e) => e.workflowTaskFailedEventAttributes?.failure?.message ?? '');
const replay = (events: HistoryEvent[]) => Worker.runReplayHistory({ workflowBundle: bundle, replayName: 'la-order', sinks: slaTimerSinks({ armed: () => undefined }) }, { events });
// the same code with the patch off: the release before it, as its runs go on
const released = ({ patchId }: { patchId: string }) => patchId !== PATCHES.gapLoadAfterLocalActivities;

/** The local activities' markers: seq, type and, for a command, the SLA target it recorded AT_RISK. */
function markers(events: HistoryEvent[]) {
  return events.flatMap((e) => {
    const details = e.markerRecordedEventAttributes?.details;
    if (e.markerRecordedEventAttributes?.markerName !== 'core_local_activity' || !details) return [];
    const decode = (key: string) => JSON.parse(Buffer.from(details[key]?.payloads?.[0]?.data ?? []).toString() || 'null') as unknown;
    const data = decode('data') as { seq: number; activity_type: string };
    const result = (decode('result') ?? []) as { type: string; data: { target?: string } }[];
    const atRisk = data.activity_type === 'issueCommand' ? result.find((r) => r.type === 'SlaAtRisk')?.data.target : undefined;
    return [{ eventId: Number(e.eventId), seq: data.seq, type: data.activity_type, atRisk }];
  });
}

/**
 * Opens a call in `category` (both AT_RISK records due at one moment) whose records answer out of order,
 * on a worker of the current bundle (with the patch off when `patchActivationCallback` says so), and waits
 * until both have answered; `comes` lets their moment come.
 */
async function recordsOutOfOrder(
  t: WorkflowTestEnv,
  { name, category, gapLoad, patchActivationCallback, comes }: { name: string; category: string; gapLoad: GapLoad; patchActivationCallback?: typeof released; comes: (receivedAt: number) => Promise<void> },
) {
  const scenario = slaRecordsAnsweredOutOfOrder(t.activities, gapLoad);
  await t.startWorker(bundle, { activities: scenario.activities, patchActivationCallback });
  const input = { channel: 'PHONE' as const, category, summary: 'Two targets, one moment', customer: { name, email: 'la-order@example.com' } };
  const { call } = await t.app.get(CommandBus).execute(new OpenServiceCallCommand(input, { actor: AGENT, idempotencyKey: `la-order-${name}` }));
  scenario.callIds.add(call.id);
  await eventually('record-complaint READY', async () => (await statusOf(t, call.id, 'record-complaint')) === 'READY');
  await eventually('an SLA timer armed', async () => (await historyOf(t, call.id)).some((e) => e.timerStartedEventAttributes));
  await comes(Date.parse(call.receivedAt));
  await eventually('both records answered', () => scenario.answered.length === 2);
  expect(scenario.answered).toEqual(['RESOLUTION', 'FIRST_RESPONSE']);
  return { id: call.id, scenario };
}

/** Until a workflow task of the run failed; its message. */
const untilTaskFailed = (t: WorkflowTestEnv, callId: string) =>
  eventually('a workflow task failed', async () => failedTasks(await historyOf(t, callId))[0]);
// "Missing associated machine for LocalActivity(n)" (the cluster's), or the activity id of the alert
// scheduled after it that does not match, whichever of the two events the replay reaches first
const NONDETERMINISM = /^\[TMPRL1100\] Nondeterminism error: (Missing associated machine for LocalActivity|Activity id of scheduled event)/;

async function workFirstStep(t: WorkflowTestEnv, callId: string) {
  await t.app.get(CommandBus).execute(new ChangeServiceCallCommand(callId, { type: 'CompleteStep', data: { stepKey: 'record-complaint' } }, { actor: AGENT }));
  await eventually('confirm-understanding READY', async () => (await statusOf(t, callId, 'confirm-understanding')) === 'READY');
}

describe('two SLA records due together, answered out of order, then the gap the first answer shows (time-skipping server)', () => {
  const category = 'la-order';
  let t: WorkflowTestEnv;

  beforeAll(async () => {
    t = await startWorkflowTestEnv('la-order');
    // both targets alike: AT_RISK of the first response and of the resolution at the same moment (48 min)
    const policy = { key: category, category, firstResponseTarget: 'PT1H', resolutionTarget: 'PT1H', warnAt: 0.8 };
    await t.app.get(CommandBus).execute(new DefineSlaPolicyCommand(policy, { actor: 'apikey:la-order-manager' }));
  }, 120_000);

  afterAll(() => t?.close(), 60_000);

  // to just past the moment: a run whose tasks fail keeps the test server from skipping any further
  const atRiskComes = async (receivedAt: number) => t.env.sleep(receivedAt + 48 * 60_000 + 100 - (await t.env.currentTimeMs()));

  it('the release before the fix loads the gap while the other record runs: with that load answered last, the next task fails replay, and so does every later one', async () => {
    const { id, scenario } = await recordsOutOfOrder(t, { name: 'Rel Eased', category, gapLoad: 'answered-last', patchActivationCallback: released, comes: atRiskComes });
    try {
      expect(scenario.gapLoadsWhileHeldBack).toBe(1);
      expect(await untilTaskFailed(t, id)).toMatch(NONDETERMINISM);
      // the markers as in the cluster's history: the later record first, then the earlier one, then the load
      const after = markers(await historyOf(t, id)).filter((m) => m.seq > 4);
      expect(after.map((m) => m.atRisk ?? m.type)).toEqual(['RESOLUTION', 'FIRST_RESPONSE', 'loadCallEvents']);
      await expect(replay(await historyOf(t, id))).rejects.toBeInstanceOf(DeterminismViolationError);
    } finally {
      await handleOf(t, id).terminate('stalled by the nondeterminism under test');
      await t.startWorker(bundle);
    }
  }, 120_000);

  it.each(['answered-last', 'answered-first'] as const)(
    'the current code waits for the record still running before it loads (gap-load %s): nothing to load, every task replays, the call goes on',
    async (gapLoad) => {
      const { id, scenario } = await recordsOutOfOrder(t, { name: `Now ${gapLoad}`, category, gapLoad, comes: atRiskComes });
      try {
        expect(scenario.gapLoadsWhileHeldBack).toBe(0);
        await workFirstStep(t, id);
        await untilWorkflowIdle(handleOf(t, id));
        const events = await historyOf(t, id);
        expect(failedTasks(events)).toEqual([]);
        // the situation happened: the record scheduled second answered first
        const records = markers(events).filter((m) => m.atRisk);
        expect(records.map((m) => m.atRisk)).toEqual(['RESOLUTION', 'FIRST_RESPONSE']);
        expect(records[0].seq).toBeGreaterThan(records[1].seq);
        // one load: the stream read before the first command; none for the gap
        expect(markers(events).filter((m) => m.type === 'loadCallEvents')).toHaveLength(1);
        // both alerts sent, and the history replays against the current code
        expect(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendSlaAlert')).toHaveLength(2);
        await replay(events);
      } finally {
        await t.startWorker(bundle);
      }
    },
    120_000,
  );
});

describe('a run stalled by the release before the fix (dev server, real time)', () => {
  const category = 'la-order-reset';
  let t: WorkflowTestEnv;

  beforeAll(async () => {
    t = await startWorkflowTestEnv('la-order-reset', { realTime: true });
    // AT_RISK of both targets 5 s after the call comes in
    const policy = { key: category, category, firstResponseTarget: 'PT10S', resolutionTarget: 'PT10S', warnAt: 0.5 };
    await t.app.get(CommandBus).execute(new DefineSlaPolicyCommand(policy, { actor: 'apikey:la-order-manager' }));
  }, 120_000);

  afterAll(() => t?.close(), 60_000);

  it('goes on under the current code once reset to the workflow task before the gap-load (temporal workflow reset --event-id)', async () => {
    const { id } = await recordsOutOfOrder(t, { name: 'Reese Reset', category, gapLoad: 'answered-last', patchActivationCallback: released, comes: async () => undefined });
    expect(await untilTaskFailed(t, id)).toMatch(NONDETERMINISM);
    await t.startWorker(bundle); // the current code, and the real answers
    // the reset point: the WorkflowTaskCompleted before the gap-load's marker (the second loadCallEvents)
    const events = await historyOf(t, id);
    const load = markers(events).filter((m) => m.type === 'loadCallEvents')[1];
    const taskCompleted = events.filter((e) => e.workflowTaskCompletedEventAttributes && Number(e.eventId) < load.eventId).at(-1);
    const { runId } = await t.env.client.workflowService.resetWorkflowExecution({
      namespace: t.env.namespace ?? 'default',
      workflowExecution: { workflowId: serviceCallWorkflowId(id) },
      workflowTaskFinishEventId: taskCompleted?.eventId,
      requestId: randomUUID(),
      reason: 'nondeterminism: gap-load between parallel local activities',
    });
    await workFirstStep(t, id);
    await untilWorkflowIdle(handleOf(t, id, runId));
    const after = await historyOf(t, id, runId);
    expect(failedTasks(after).filter((message) => NONDETERMINISM.test(message))).toEqual([]);
    expect((await t.streamOf(id)).filter((e) => e.type === 'SlaAtRisk')).toHaveLength(2); // recorded once: the records again were answered by their keys
    await replay(after);
  }, 120_000);
});
