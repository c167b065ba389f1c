// serviceCallWorkflow on Temporal's time-skipping test server, with real parts only: the workflow
// bundle, the worker's activities over a SQLite event store and read models in a temporary DATA_DIR,
// the command bus, and the dispatcher that feeds workflows from the log with signal-with-start.
import {
  OpenServiceCallInput,
  ServiceCall,
  STANDARD_COMPLAINT,
  StepStatus,
  WORKFLOW_ACTOR,
} from '@app/domain';
import { RecordedEvent } from '@app/event-store';
import { ChangeServiceCallCommand, OpenServiceCallCommand } from '@app/service-calls';
import { CommandBus } from '@nestjs/cqrs';
import { WorkflowHandle } from '@temporalio/client';
import { eventually, phaseStatus, startWorkflowTestEnv, stepOf, WorkflowTestEnv } from '../../../test/support/temporal-test-env';
import { DOMAIN_ERROR_TYPE, ProcessCommand } from './service-call.activities';
import {
  CallEventMessage,
  callEventSignal,
  callStateQuery,
  SERVICE_CALL_WORKFLOW_TYPE,
  serviceCallWorkflowId,
} from './service-call.messages';

const AGENT = 'apikey:test';
const ALL_STEPS = STANDARD_COMPLAINT.phases.flatMap((p) => p.steps.map((s) => s.key));
const PHASES = STANDARD_COMPLAINT.phases.map((p) => p.key);

let t: WorkflowTestEnv;
let bus: CommandBus;

beforeAll(async () => {
  t = await startWorkflowTestEnv('service-call-workflow');
  bus = t.app.get(CommandBus);
}, 120_000);

afterAll(() => t?.close(), 60_000);

// --- helpers: the call as its stream says, commands as an integrator sends them --------------

let opened = 0;
async function openCall(customer: OpenServiceCallInput['customer'] = { name: 'Ada Customer' }, summary = 'Washing machine leaks') {
  opened++;
  const result = await bus.execute(
    new OpenServiceCallCommand({ channel: 'PHONE', category: 'appliances', summary, customer }, { actor: AGENT, idempotencyKey: `open-${opened}` }),
  );
  return result;
}

const streamOf = (callId: string): Promise<RecordedEvent[]> => t.streamOf(callId);
const callOf = (callId: string): Promise<ServiceCall> => t.callOf(callId);

const statusOf = (call: ServiceCall, stepKey: string): StepStatus => stepOf(call, stepKey).status;

/** Waits until the stream shows the step in the given status; returns the call at that moment. */
function untilStep(callId: string, stepKey: string, status: StepStatus): Promise<ServiceCall> {
  return eventually(`${stepKey} ${status}`, async () => {
    const call = await callOf(callId);
    return statusOf(call, stepKey) === status && call;
  });
}

const untilResolved = (callId: string) =>
  eventually('call RESOLVED', async () => {
    const call = await callOf(callId);
    return call.status === 'RESOLVED' && call;
  });

/** A person works a step once it is READY: optionally starts it first, then completes it. */
async function work(callId: string, stepKey: string, { start = false } = {}): Promise<void> {
  await untilStep(callId, stepKey, 'READY');
  const change = (command: ProcessCommand) => bus.execute(new ChangeServiceCallCommand(callId, command, { actor: AGENT }));
  if (start) await change({ type: 'StartStep', data: { stepKey } });
  await change({ type: 'CompleteStep', data: { stepKey, outcome: `${stepKey} done` } });
}

const workflowOf = (callId: string): WorkflowHandle => t.env.client.workflow.getHandle(serviceCallWorkflowId(callId));

/** Delivers events to the call's workflow exactly as the dispatcher does (signal-with-start). */
function deliver(callId: string, event: RecordedEvent | CallEventMessage) {
  const message: CallEventMessage = 'streamVersion' in event ? { type: event.type, version: event.streamVersion, data: event.data } : event;
  return t.env.client.workflow.signalWithStart(SERVICE_CALL_WORKFLOW_TYPE, {
    workflowId: serviceCallWorkflowId(callId),
    taskQueue: t.taskQueue,
    args: [{ callId }],
    signal: callEventSignal,
    signalArgs: [message],
  });
}

/**
 * Waits until the workflow has handled every signal it got (its last workflow task, local activities
 * included, is complete), so "nothing changed" can be checked without sleeping.
 */
async function untilSettled(handle: WorkflowHandle, signals: number): Promise<void> {
  await eventually(`workflow settled after ${signals} signals`, async () => {
    const events = (await handle.fetchHistory()).events ?? [];
    const signalled = events.filter((e) => e.workflowExecutionSignaledEventAttributes).length;
    const last = events[events.length - 1];
    return signalled >= signals && !!(last?.workflowTaskCompletedEventAttributes || last?.workflowExecutionCompletedEventAttributes);
  });
}

const count = (events: RecordedEvent[], type: string, key?: string) =>
  events.filter((e) => e.type === type && (key === undefined || e.data.stepKey === key || e.data.phaseKey === key)).length;

/**
 * The whole history of a standard complaint, worked once: one event per transition, nothing twice,
 * phases in order, and only the automated step started by the workflow.
 */
function expectCleanHistory(events: RecordedEvent[], humanStarts: string[] = []): void {
  const types = events.map((e) => e.type);
  expect(types[0]).toBe('ServiceCallOpened');
  // after the resolution only the SLA targets met (recorded by the workflow), each once
  const process = types.filter((type) => !type.startsWith('Sla'));
  expect(process[process.length - 1]).toBe('ServiceCallResolved');
  const sla = events.filter((e) => e.type.startsWith('Sla')).map((e) => `${e.type}:${String(e.data.target)}`);
  expect(sla.every((e) => e.startsWith('SlaMet:'))).toBe(true);
  expect(new Set(sla).size).toBe(sla.length);
  expect(events.map((e) => e.streamVersion)).toEqual(events.map((_, i) => i + 1));
  for (const phase of PHASES) {
    expect([phase, count(events, 'PhaseStarted', phase), count(events, 'PhaseCompleted', phase)]).toEqual([phase, 1, 1]);
  }
  for (const step of ALL_STEPS) {
    const started = step === 'review-customer-history' || humanStarts.includes(step) ? 1 : 0;
    expect([step, count(events, 'StepReady', step), count(events, 'StepStarted', step), count(events, 'StepCompleted', step)]).toEqual([
      step,
      1,
      started,
      1,
    ]);
  }
  const phaseOrder = events.filter((e) => e.type === 'PhaseStarted' || e.type === 'PhaseCompleted').map((e) => `${e.type}:${String(e.data.phaseKey)}`);
  expect(phaseOrder).toEqual(PHASES.flatMap((p) => [`PhaseStarted:${p}`, `PhaseCompleted:${p}`]));
  expect(events).toHaveLength(1 + 2 * PHASES.length + 2 * ALL_STEPS.length + 1 + humanStarts.length + 1 + sla.length);
  // the automated step is started and completed by the workflow, with the automation's outcome
  const review = events.filter((e) => e.data.stepKey === 'review-customer-history' && e.type !== 'StepReady');
  expect(review.map((e) => [e.type, e.metadata.actor])).toEqual([
    ['StepStarted', WORKFLOW_ACTOR],
    ['StepCompleted', WORKFLOW_ACTOR],
  ]);
  expect(review[1].data.outcome).toEqual(expect.stringMatching(/earlier call/));
}

/** Version of the first event matching type and step/phase key. */
const versionOf = (events: RecordedEvent[], type: string, key: string) =>
  events.find((e) => e.type === type && (e.data.stepKey === key || e.data.phaseKey === key))?.streamVersion ?? Infinity;

// --- the tests ----------------------------------------------------------------------------------

describe('serviceCallWorkflow (time-skipping server, real activities and event store)', () => {
  it('opening a call starts its workflow, with the id service-call-<callId>, which opens intake', async () => {
    const { call } = await openCall();
    expect(serviceCallWorkflowId(call.id)).toBe(`service-call-${call.id}`);

    const atIntake = await untilStep(call.id, 'record-complaint', 'READY');
    expect(phaseStatus(atIntake, 'intake')).toBe('ACTIVE');
    expect(phaseStatus(atIntake, 'diagnosis')).toBe('PENDING');
    expect(statusOf(atIntake, 'confirm-understanding')).toBe('PENDING');

    const description = await workflowOf(call.id).describe();
    expect(description.type).toBe(SERVICE_CALL_WORKFLOW_TYPE);
    expect(description.taskQueue).toBe(t.taskQueue);
    expect(description.status.name).toBe('RUNNING');
    // the workflow holds nothing but the call folded from the same events
    await eventually('workflow state at the stream version', async () => {
      const state = await workflowOf(call.id).query(callStateQuery);
      return state.version === atIntake.version && state;
    });
  });

  // The human steps of the standard complaint in every order its dependencies allow: the only
  // freedom is the fan-out after agree-solution. Starting a step before completing it is optional.
  const orders: [string, string[], string[]][] = [
    ['carry out, then compensate', ['carry-out-solution', 'offer-compensation'], ['record-complaint', 'carry-out-solution']],
    ['compensate, then carry out', ['offer-compensation', 'carry-out-solution'], ['inspect-problem', 'offer-compensation', 'confirm-with-customer']],
  ];
  it.each(orders)('drives a standard complaint to RESOLVED (%s)', async (label, fanOut, started) => {
    const email = `customer-${label.replace(/\W+/g, '-')}@example.com`;
    const earlier = await openCall({ name: 'Grace Repeat', email }, 'Dryer makes noise');
    expect(await t.projector.waitFor(earlier.position, 5000)).toBe(true);
    const { call } = await openCall({ name: 'Grace Repeat', email: email.toUpperCase() });
    const id = call.id;
    const step = (stepKey: string) => work(id, stepKey, { start: started.includes(stepKey) });

    await step('record-complaint');
    await step('confirm-understanding');

    // the automation runs in the workflow; identify-cause waits for it and for the inspection
    const reviewed = await untilStep(id, 'review-customer-history', 'COMPLETED');
    expect(statusOf(reviewed, 'identify-cause')).toBe('PENDING');
    const outcome = stepOf(reviewed, 'review-customer-history').outcome ?? '';
    expect(outcome).toMatch(/^1 earlier call \(1 open\)/);
    expect(outcome).toContain('"Dryer makes noise"');
    expect(outcome).not.toContain('Washing machine leaks');
    await step('inspect-problem');
    await step('identify-cause');

    await step('propose-solution');
    await step('agree-solution');
    const fannedOut = await untilStep(id, 'offer-compensation', 'READY');
    expect(statusOf(fannedOut, 'carry-out-solution')).toBe('READY');
    await step(fanOut[0]);
    expect(statusOf(await callOf(id), 'confirm-with-customer')).toBe('PENDING');
    await step(fanOut[1]);
    await step('confirm-with-customer');

    const resolved = await untilResolved(id);
    expect(resolved.phases.map((p) => p.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    await expect(workflowOf(id).result()).resolves.toBeUndefined();
    const events = await streamOf(id);
    expectCleanHistory(events, started);
    // the order the people chose is the order in the log
    expect(versionOf(events, 'StepCompleted', fanOut[0])).toBeLessThan(versionOf(events, 'StepCompleted', fanOut[1]));
  });

  it('diagnosis runs review-customer-history and inspect-problem in parallel; identify-cause waits for both', async () => {
    const { call } = await openCall({ name: 'New Customer', email: 'first-timer@example.com' });
    await work(call.id, 'record-complaint');
    await work(call.id, 'confirm-understanding');

    // both are made READY by the same command, before either is worked
    const atDiagnosis = await untilStep(call.id, 'inspect-problem', 'READY');
    expect(phaseStatus(atDiagnosis, 'diagnosis')).toBe('ACTIVE');
    expect(statusOf(atDiagnosis, 'identify-cause')).toBe('PENDING');
    await work(call.id, 'inspect-problem'); // while the automation may still be running

    await untilStep(call.id, 'identify-cause', 'READY');
    const events = await streamOf(call.id);
    const readyReview = events.find((e) => e.type === 'StepReady' && e.data.stepKey === 'review-customer-history')!;
    const readyInspect = events.find((e) => e.type === 'StepReady' && e.data.stepKey === 'inspect-problem')!;
    expect([readyReview.data.phaseKey, readyInspect.data.phaseKey]).toEqual(['diagnosis', 'diagnosis']);
    expect(readyReview.metadata.idempotencyKey).toBe(readyInspect.metadata.idempotencyKey); // one command
    expect(Math.abs(readyReview.streamVersion - readyInspect.streamVersion)).toBe(1);
    const firstCompletion = Math.min(
      versionOf(events, 'StepCompleted', 'review-customer-history'),
      versionOf(events, 'StepCompleted', 'inspect-problem'),
    );
    expect(Math.max(readyReview.streamVersion, readyInspect.streamVersion)).toBeLessThan(firstCompletion);
    const identifyReady = versionOf(events, 'StepReady', 'identify-cause');
    expect(identifyReady).toBeGreaterThan(versionOf(events, 'StepCompleted', 'review-customer-history'));
    expect(identifyReady).toBeGreaterThan(versionOf(events, 'StepCompleted', 'inspect-problem'));
    expect(stepOf(await callOf(call.id), 'review-customer-history').outcome).toBe('No earlier calls from this customer.');
  });

  it('ignores redelivered events: duplicates and older versions change nothing', async () => {
    const { call } = await openCall();
    const id = call.id;
    const handle = workflowOf(id);
    let signals = 0;
    const redeliverAll = async () => {
      const events = await streamOf(id);
      // everything again, newest first, twice over: every one is a duplicate or older than the workflow's state
      for (const event of [...events].reverse().concat(events)) {
        await deliver(id, event);
        signals++;
      }
      return events;
    };
    const signalledSoFar = async () =>
      (await handle.fetchHistory()).events?.filter((e) => e.workflowExecutionSignaledEventAttributes).length ?? 0;

    await work(id, 'record-complaint');
    await untilStep(id, 'confirm-understanding', 'READY');
    // the first response (a person completed a step) is recorded as SLA MET by the workflow too
    await eventually('first response MET', async () => (await streamOf(id)).some((e) => e.type === 'SlaMet'));
    signals = await signalledSoFar();
    const before = await redeliverAll();
    await untilSettled(handle, signals);
    expect(await streamOf(id)).toEqual(before);

    await work(id, 'confirm-understanding');
    await untilStep(id, 'review-customer-history', 'COMPLETED');
    signals = await signalledSoFar();
    const inDiagnosis = await redeliverAll();
    await untilSettled(handle, signals);
    expect(await streamOf(id)).toEqual(inDiagnosis);

    for (const step of ['inspect-problem', 'identify-cause', 'propose-solution', 'agree-solution', 'carry-out-solution', 'offer-compensation']) {
      await work(id, step);
    }
    await redeliverAll(); // confirm-with-customer READY: the running workflow gets it all again
    await work(id, 'confirm-with-customer');
    await untilResolved(id);
    await handle.result();
    const resolved = await streamOf(id);
    expectCleanHistory(resolved);

    // after the workflow finished, a redelivered event starts a new run, which sees the call is done
    const rerun = await deliver(id, resolved[3]);
    await expect(t.env.client.workflow.getHandle(rerun.workflowId, rerun.signaledRunId).result()).resolves.toBeUndefined();
    expect(await streamOf(id)).toEqual(resolved);
  });

  it('issueCommand is idempotent: the same key appends once and returns the same events', async () => {
    const { call } = await openCall();
    const id = call.id;
    await untilStep(id, 'record-complaint', 'READY');
    await workflowOf(id).terminate('the test issues the commands itself'); // nothing else may change the call

    const completeCommand: ProcessCommand = { type: 'CompleteStep', data: { stepKey: 'record-complaint', outcome: 'noted' } };
    const complete = { callId: id, command: completeCommand, idempotencyKey: 'k-complete' };
    const first = await t.activities.issueCommand(complete);
    expect(first.map((e) => e.type)).toEqual(['StepCompleted']);
    const again = await t.activities.issueCommand(complete);
    expect(again).toEqual(first);

    // a retry racing the original: still one append, both answered with it
    const readyCommand: ProcessCommand = { type: 'MarkStepsReady', data: { phaseKey: 'intake', stepKeys: ['confirm-understanding'] } };
    const ready = { callId: id, command: readyCommand, idempotencyKey: 'k-ready' };
    const [a, b] = await Promise.all([t.activities.issueCommand(ready), t.activities.issueCommand(ready)]);
    expect(a.map((e) => e.type)).toEqual(['StepReady']);
    expect(b).toEqual(a);

    const events = await streamOf(id);
    expect(count(events, 'StepCompleted', 'record-complaint')).toBe(1);
    expect(count(events, 'StepReady', 'confirm-understanding')).toBe(1);
    expect(events.filter((e) => e.metadata.idempotencyKey === `${WORKFLOW_ACTOR}:k-complete`)).toHaveLength(1);
    // the same key from someone else is another command (keys are scoped by actor), refused here on its merits
    await expect(
      bus.execute(new ChangeServiceCallCommand(id, complete.command, { actor: AGENT, idempotencyKey: 'k-complete' })),
    ).rejects.toMatchObject({ code: 'CONFLICT' });

    // the automation is safe to run twice: same outcome, nothing appended
    const review = { callId: id, stepKey: 'review-customer-history', action: 'review-customer-history' };
    expect(await t.activities.runAutomatedAction(review)).toEqual(await t.activities.runAutomatedAction(review));
    // a refused command is a non-retryable failure of the activity
    await expect(
      t.activities.issueCommand({ callId: id, command: { type: 'CompleteStep', data: { stepKey: 'identify-cause' } }, idempotencyKey: 'k-early' }),
    ).rejects.toMatchObject({ type: DOMAIN_ERROR_TYPE, nonRetryable: true });
    expect(await streamOf(id)).toHaveLength(events.length);
  });

  it('a new run for a call that progressed without it catches up from the stream and finishes it', async () => {
    const { call } = await openCall();
    const id = call.id;
    await untilStep(id, 'record-complaint', 'READY');
    const handle = workflowOf(id);
    const firstRun = (await handle.describe()).runId;

    // the worker "dies": the dispatcher and the workflow stop, while people and a dying run carry on
    await t.dispatcher.stop();
    await handle.terminate('simulated crash');
    try {
      const asWorkflow = (command: ProcessCommand, key: string) => t.activities.issueCommand({ callId: id, command, idempotencyKey: key });
      const asAgent = (command: ProcessCommand) => bus.execute(new ChangeServiceCallCommand(id, command, { actor: AGENT }));
      // what the previous run had done before it died, with the keys it uses ...
      await asAgent({ type: 'CompleteStep', data: { stepKey: 'record-complaint' } });
      await asWorkflow({ type: 'MarkStepsReady', data: { phaseKey: 'intake', stepKeys: ['confirm-understanding'] } }, 'ready:confirm-understanding');
      await asAgent({ type: 'CompleteStep', data: { stepKey: 'confirm-understanding' } });
      await asWorkflow({ type: 'CompletePhase', data: { phaseKey: 'intake' } }, 'complete-phase:intake');
      await asWorkflow({ type: 'StartPhase', data: { phaseKey: 'diagnosis' } }, 'start-phase:diagnosis');
      await asWorkflow(
        { type: 'MarkStepsReady', data: { phaseKey: 'diagnosis', stepKeys: ['review-customer-history', 'inspect-problem'] } },
        'ready:inspect-problem,review-customer-history',
      );
      // ... dying in the middle of the automated step
      await asWorkflow({ type: 'StartStep', data: { stepKey: 'review-customer-history' } }, 'start-step:review-customer-history');
      await asAgent({ type: 'CompleteStep', data: { stepKey: 'inspect-problem' } });
      expect(statusOf(await callOf(id), 'review-customer-history')).toBe('IN_PROGRESS');

      // an old event, signalled with start: a new run, which reads the stream instead of trusting the signal
      const [opened] = await streamOf(id);
      const restarted = await deliver(id, opened);
      expect(restarted.signaledRunId).not.toBe(firstRun);
    } finally {
      await t.dispatcher.start(); // redelivers what the people did meanwhile: duplicates for the new run
    }

    const reviewed = await untilStep(id, 'identify-cause', 'READY');
    expect(stepOf(reviewed, 'review-customer-history').outcome).toBe('No earlier calls from this customer.');
    for (const step of ['identify-cause', 'propose-solution', 'agree-solution', 'offer-compensation', 'carry-out-solution', 'confirm-with-customer']) {
      await work(id, step);
    }
    await untilResolved(id);
    await expect(handle.result()).resolves.toBeUndefined();
    expectCleanHistory(await streamOf(id));
  });
});
