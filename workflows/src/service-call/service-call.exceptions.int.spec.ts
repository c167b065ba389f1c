// Exceptions in a running process, on Temporal's time-skipping test server with the real bundle,
// activities, SQLite event store and dispatcher: automations that fail (FAILED, retryStep, skipStep),
// skips of human steps, and a call keeping its template version across a worker restart.
import {
  OpenServiceCallInput,
  ProcessTemplate,
  ProcessTemplateInput,
  ServiceCall,
  StepStatus,
  WORKFLOW_ACTOR,
} from '@app/domain';
import { RecordedEvent } from '@app/event-store';
import {
  ChangeServiceCallCommand,
  DefineProcessTemplateCommand,
  OpenServiceCallCommand,
  ServiceCallCommandProcessor,
} from '@app/service-calls';
import { CommandBus } from '@nestjs/cqrs';
import { WorkflowHandle } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { AutomatedAction } from '../../../apps/worker/src/actions/automated-action';
import { ReviewCustomerHistoryAction } from '../../../apps/worker/src/actions/review-customer-history.action';
import { eventually, phaseStatus, startWorkflowTestEnv, stepOf, WorkflowTestEnv } from '../../../test/support/temporal-test-env';
import { ProcessCommand } from './service-call.activities';
import { serviceCallWorkflowId } from './service-call.messages';

const AGENT = 'apikey:agent';
const MANAGER = 'apikey:manager';
const REVIEW = 'review-customer-history';

let t: WorkflowTestEnv;
let bus: CommandBus;
let review: ReviewCustomerHistoryAction;

beforeAll(async () => {
  t = await startWorkflowTestEnv('service-call-exceptions');
  bus = t.app.get(CommandBus);
  review = t.app.get(ReviewCustomerHistoryAction);
}, 120_000);

afterAll(() => t?.close(), 60_000);

afterEach(() => jest.restoreAllMocks());

// --- helpers ------------------------------------------------------------------------------------

let opened = 0;
const customer = (name: string): OpenServiceCallInput['customer'] => ({
  name,
  email: `${name.toLowerCase().replace(/\W+/g, '.')}@example.com`,
  preferredChannel: 'EMAIL',
});

async function openCall(name: string, processKey?: string): Promise<string> {
  const input = { channel: 'PHONE' as const, category: 'appliances', summary: 'Washing machine leaks', customer: customer(name), processKey };
  const { call } = await bus.execute(new OpenServiceCallCommand(input, { actor: AGENT, idempotencyKey: `exceptions-${++opened}` }));
  return call.id;
}

const streamOf = (callId: string): Promise<RecordedEvent[]> => t.streamOf(callId);
const callOf = (callId: string): Promise<ServiceCall> => t.callOf(callId);


function untilStep(callId: string, stepKey: string, status: StepStatus): Promise<ServiceCall> {
  return eventually(`${stepKey} ${status}`, async () => {
    const call = await callOf(callId);
    return stepOf(call, stepKey).status === status && call;
  });
}

const change = (callId: string, command: ProcessCommand, actor = AGENT) => bus.execute(new ChangeServiceCallCommand(callId, command, { actor }));

/** A person completes a step once it is READY. */
async function work(callId: string, ...stepKeys: string[]): Promise<void> {
  for (const stepKey of stepKeys) {
    await untilStep(callId, stepKey, 'READY');
    await change(callId, { type: 'CompleteStep', data: { stepKey, outcome: `${stepKey} done` } });
  }
}

const workflowOf = (callId: string): WorkflowHandle => t.env.client.workflow.getHandle(serviceCallWorkflowId(callId));

/**
 * The call RESOLVED in its stream, then its workflow's result. Only then: awaiting a result lets the
 * test server skip time, and while the dispatcher has yet to signal the last step, it would skip
 * straight to the workflow's timeout.
 */
async function resolved(callId: string): Promise<ServiceCall> {
  const call = await eventually('call RESOLVED', async () => {
    const c = await callOf(callId);
    return c.status === 'RESOLVED' && c;
  });
  await expect(workflowOf(callId).result()).resolves.toBeUndefined();
  return call;
}

/** Lets server time pass (the activity retry backoff) until the probe holds. */
function inSkippedTime<T>(what: string, probe: () => Promise<T | false>): Promise<T> {
  return eventually(
    what,
    async () => {
      const value = await probe();
      if (value) return value;
      await t.env.sleep('10s');
      return false;
    },
    { timeoutMs: 20_000 },
  );
}

/** The workflow has handled everything so far: its last task completed and nothing is scheduled after it. */
async function untilSettled(callId: string): Promise<void> {
  await eventually(`workflow of ${callId} settled`, async () => {
    const events = (await workflowOf(callId).fetchHistory()).events ?? [];
    const lastTask = events.map((e) => !!e.workflowTaskCompletedEventAttributes).lastIndexOf(true);
    return lastTask >= 0 && events.slice(lastTask + 1).every((e) => e.markerRecordedEventAttributes || e.workflowExecutionCompletedEventAttributes);
  });
}

const ofStep = (events: RecordedEvent[], stepKey: string) => events.filter((e) => e.data.stepKey === stepKey);
const typesOf = (events: RecordedEvent[]) => events.map((e) => e.type);

/** The standard complaint up to diagnosis, where the automation runs. */
async function toDiagnosis(name: string): Promise<string> {
  const id = await openCall(name);
  await work(id, 'record-complaint', 'confirm-understanding');
  return id;
}

// --- the tests ----------------------------------------------------------------------------------

describe('automated steps that fail', () => {
  it('an automation that keeps failing ends FAILED with its error and holds the phase; retryStep runs it again', async () => {
    const original = (review as AutomatedAction).run.bind(review);
    let down = true;
    const failing = jest.spyOn(review as AutomatedAction, 'run').mockImplementation(async (...args) => {
      if (down) throw new Error('read models unavailable');
      return original(...args);
    });
    const id = await toDiagnosis('Fay Failing');

    const failed = await inSkippedTime('review FAILED', async () => {
      const call = await callOf(id);
      return stepOf(call, REVIEW).status === 'FAILED' && call;
    });
    expect(failing).toHaveBeenCalledTimes(5); // the automation's retry budget, then no more
    expect(stepOf(failed, REVIEW)).toMatchObject({ status: 'FAILED', outcome: 'read models unavailable', attempt: 1 });
    const [failure] = (await streamOf(id)).filter((e) => e.type === 'StepFailed');
    expect(failure.data).toMatchObject({ phaseKey: 'diagnosis', stepKey: REVIEW, reason: 'read models unavailable', by: WORKFLOW_ACTOR });
    expect(failure.metadata.idempotencyKey).toBe(`${WORKFLOW_ACTOR}:fail-step:${REVIEW}`);

    // FAILED holds the phase: with the inspection done, identify-cause still waits
    await work(id, 'inspect-problem');
    await untilSettled(id);
    const held = await callOf(id);
    expect(stepOf(held, 'identify-cause').status).toBe('PENDING');
    expect(phaseStatus(held, 'diagnosis')).toBe('ACTIVE');
    expect(failing).toHaveBeenCalledTimes(5);

    // the cause is fixed; a person retries the step (attempt 2), and the workflow runs it again
    down = false;
    await change(id, { type: 'RetryStep', data: { stepKey: REVIEW } });
    const reviewed = await untilStep(id, REVIEW, 'COMPLETED');
    expect(stepOf(reviewed, REVIEW)).toMatchObject({ attempt: 2, outcome: 'No earlier calls from this customer.' });
    await untilStep(id, 'identify-cause', 'READY');
    // the action is told its attempt: retries of one attempt share a key, the next attempt has its own
    expect(failing.mock.calls.map(([, , run]) => `${run.attempt} ${run.idempotencyKey}`)).toEqual([
      ...Array(5).fill(`1 ${id}:${REVIEW}#1`),
      `2 ${id}:${REVIEW}#2`,
    ]);

    const events = ofStep(await streamOf(id), REVIEW);
    expect(typesOf(events)).toEqual(['StepReady', 'StepStarted', 'StepFailed', 'StepRetried', 'StepStarted', 'StepCompleted']);
    // each attempt's commands have their own keys: the first the keys of the release before retries
    expect(events.filter((e) => e.metadata.actor === WORKFLOW_ACTOR).map((e) => e.metadata.idempotencyKey)).toEqual([
      `${WORKFLOW_ACTOR}:ready:inspect-problem,${REVIEW}`,
      `${WORKFLOW_ACTOR}:start-step:${REVIEW}`,
      `${WORKFLOW_ACTOR}:fail-step:${REVIEW}`,
      `${WORKFLOW_ACTOR}:start-step:${REVIEW}#2`,
      `${WORKFLOW_ACTOR}:complete-step:${REVIEW}#2`,
    ]);
  });

  it('a manager skips a failed automated step: the phase goes on without it', async () => {
    const failing = jest.spyOn(review, 'run').mockRejectedValue(new Error('history service down'));
    const id = await toDiagnosis('Sam Skipper');
    await work(id, 'inspect-problem');
    await inSkippedTime('review FAILED', async () => stepOf(await callOf(id), REVIEW).status === 'FAILED');

    await change(id, { type: 'SkipStep', data: { stepKey: REVIEW, reason: 'history reviewed by hand' } }, MANAGER);
    const goesOn = await untilStep(id, 'identify-cause', 'READY');
    expect(stepOf(goesOn, REVIEW)).toMatchObject({ status: 'SKIPPED', outcome: 'history reviewed by hand' });
    await work(id, 'identify-cause');
    const next = await untilStep(id, 'propose-solution', 'READY');
    expect([phaseStatus(next, 'diagnosis'), phaseStatus(next, 'resolution')]).toEqual(['COMPLETED', 'ACTIVE']);
    expect(failing).toHaveBeenCalledTimes(5);
  });

  it('a step skipped while its automation runs: the completion is refused once, nothing is retried, the process goes on', async () => {
    let finish!: (outcome: string) => void;
    const running = jest.spyOn(review, 'run').mockImplementation(() => new Promise<string>((resolve) => (finish = resolve)));
    const id = await toDiagnosis('Rob Racing');
    await eventually('automation running', () => running.mock.calls.length === 1);
    expect(stepOf(await callOf(id), REVIEW).status).toBe('IN_PROGRESS');

    await change(id, { type: 'SkipStep', data: { stepKey: REVIEW, reason: 'not needed for this customer' } }, MANAGER);
    finish('late outcome'); // the automation finishes after the skip: CompleteStep is refused (CONFLICT)
    await work(id, 'inspect-problem');
    await untilStep(id, 'identify-cause', 'READY');
    await untilSettled(id);

    expect(running).toHaveBeenCalledTimes(1);
    const events = ofStep(await streamOf(id), REVIEW);
    expect(typesOf(events)).toEqual(['StepReady', 'StepStarted', 'StepSkipped']);
    expect(stepOf(await callOf(id), REVIEW)).toMatchObject({ status: 'SKIPPED', outcome: 'not needed for this customer' });
    expect((await workflowOf(id).describe()).status.name).toBe('RUNNING');
  });

  it('an action the worker does not know FAILS its step at once (no retries); skipping it lets the call resolve', async () => {
    // a template naming an action this worker lacks (e.g. defined under a newer catalogue): opened
    // through the command processor, as template validation would refuse it today
    const process: ProcessTemplate = {
      key: 'fax-confirmation',
      version: 1,
      title: 'Fax confirmation',
      department: 'Back office',
      purpose: 'Confirm by fax.',
      terms: [],
      phases: [{ key: 'confirm', name: 'Confirm', steps: [{ key: 'send-fax', name: 'Send a fax', dependsOn: [], automated: true, action: 'send-fax' }] }],
    };
    const callId = randomUUID();
    const input = { channel: 'PHONE' as const, category: 'fax', summary: 'Wants a fax', customer: customer('Fax Fan') };
    await t.app
      .get(ServiceCallCommandProcessor)
      .execute(callId, { type: 'OpenServiceCall', data: { callId, trackingCode: 'SC-FAX001', input, process } }, { actor: AGENT });

    const failed = await untilStep(callId, 'send-fax', 'FAILED');
    expect(stepOf(failed, 'send-fax').outcome).toBe('unknown action send-fax');
    await change(callId, { type: 'SkipStep', data: { stepKey: 'send-fax', reason: 'sent by hand' } }, MANAGER);
    await resolved(callId);
  });
});

describe('skipped human steps', () => {
  it('skipping a PENDING step makes its dependents READY; steps skipped ahead are never made READY', async () => {
    const id = await openCall('Kim Skipahead');
    // a step of a later phase, skipped ahead of time
    await untilStep(id, 'record-complaint', 'READY');
    await change(id, { type: 'SkipStep', data: { stepKey: 'inspect-problem', reason: 'inspected on the phone' } }, MANAGER);
    await work(id, 'record-complaint', 'confirm-understanding');
    await untilStep(id, 'identify-cause', 'READY'); // after the automation, without the skipped inspection
    await work(id, 'identify-cause');

    // in resolution: agree-solution waits for propose-solution; skipped, its dependents are READY at once
    await untilStep(id, 'propose-solution', 'READY');
    expect(stepOf(await callOf(id), 'agree-solution').status).toBe('PENDING');
    await change(id, { type: 'SkipStep', data: { stepKey: 'agree-solution', reason: 'customer agreed in advance' } }, MANAGER);
    const fannedOut = await untilStep(id, 'carry-out-solution', 'READY');
    expect(stepOf(fannedOut, 'offer-compensation').status).toBe('READY');
    expect(stepOf(fannedOut, 'propose-solution').status).toBe('READY');

    await work(id, 'carry-out-solution', 'offer-compensation', 'propose-solution', 'confirm-with-customer');
    await resolved(id);
    const readied = (await streamOf(id)).filter((e) => e.type === 'StepReady').map((e) => e.data.stepKey);
    expect(readied).not.toContain('inspect-problem');
    expect(readied).not.toContain('agree-solution');
  });
});

describe('after resolution', () => {
  const RESOLUTION_STEPS = ['propose-solution', 'agree-solution', 'carry-out-solution', 'offer-compensation', 'confirm-with-customer'];

  it('unsatisfied feedback reopens the call into its last phase: a new run works it again and resolves it again', async () => {
    const callId = await toDiagnosis('Reopen Rita');
    await work(callId, 'inspect-problem', 'identify-cause', ...RESOLUTION_STEPS);
    await resolved(callId);

    await change(callId, { type: 'RecordFeedback', data: { feedback: { satisfied: false, score: 2, comment: 'still broken' } } });
    // the reopened last phase starts over: its first step READY again (a new round of keys), then the rest
    const again = await untilStep(callId, 'propose-solution', 'READY');
    expect(stepOf(again, 'propose-solution').attempt).toBe(2);
    await work(callId, ...RESOLUTION_STEPS);
    const call = await resolved(callId);
    expect(call.phases.map((p) => p.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);

    const events = await streamOf(callId);
    expect(typesOf(events).filter((t) => t === 'ServiceCallResolved')).toHaveLength(2);
    expect(ofStep(events, 'propose-solution').filter((e) => e.type === 'StepReady')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'PhaseCompleted' && e.data.phaseKey === 'resolution')).toHaveLength(2);
  });

  it('resolving now skips open work and ends the workflow; satisfied feedback then closes the call', async () => {
    const callId = await toDiagnosis('Quick Quentin');
    await untilStep(callId, 'inspect-problem', 'READY');
    await change(callId, { type: 'ResolveServiceCall', data: { resolution: { agreedSolution: 'Reset the router by phone', implemented: true } } }, MANAGER);
    const call = await resolved(callId);
    expect(call.phases.map((p) => p.status)).toEqual(['COMPLETED', 'COMPLETED', 'SKIPPED']);
    await change(callId, { type: 'RecordFeedback', data: { feedback: { satisfied: true, score: 5 } } });
    expect((await callOf(callId)).status).toBe('CLOSED');
  });
});

describe('template versions', () => {
  const repairVisit = (version: 'v1' | 'v2'): ProcessTemplateInput => ({
    key: 'repair-visit',
    title: `Repair visit (${version})`,
    department: 'Field Service',
    purpose: 'Repair at the customer’s home.',
    phases:
      version === 'v1'
        ? [
            {
              key: 'visit',
              name: 'Visit',
              steps: [
                { key: 'book-visit', name: 'Book the visit' },
                { key: 'tell-booked', name: 'Tell the customer', automated: true, action: 'notify-customer', dependsOn: ['book-visit'] },
              ],
            },
            { key: 'repair', name: 'Repair', steps: [{ key: 'fix-device', name: 'Fix the device' }] },
          ]
        : [{ key: 'remote', name: 'Remote fix', steps: [{ key: 'guide-customer', name: 'Guide the customer' }] }],
  });
  const define = (version: 'v1' | 'v2') => bus.execute(new DefineProcessTemplateCommand(repairVisit(version), { actor: MANAGER }));

  it('a call keeps the version it started with across a worker restart and a new version of its template', async () => {
    const v1 = await define('v1');
    const id = await openCall('Ria Repair', 'repair-visit');
    await work(id, 'book-visit');
    const told = await untilStep(id, 'tell-booked', 'COMPLETED');
    expect(stepOf(told, 'tell-booked').outcome).toBe(
      // no SMTP_URL here: the contact is recorded with NO_GATEWAY (the SMTP case: notify-customer.action.int.spec.ts)
      `Not notified Ria Repair by EMAIL (r***@example.com): NO_GATEWAY. The message: "Your service call ${told.trackingCode} moved on: Visit is done; next: Repair. ` +
        `Track it with your code ${told.trackingCode}."`,
    );

    // mid-call: a new deployment (a new worker on the same task queue) and a new version of the template
    await t.restartWorker();
    const v2 = await define('v2');
    expect([v1.template.version, v2.template.version]).toEqual([v2.template.version - 1, v1.template.version + 1]);

    await work(id, 'fix-device');
    const done = await resolved(id);
    expect(done).toMatchObject({ status: 'RESOLVED', processKey: 'repair-visit', processVersion: v1.template.version });
    expect(done.phases.map((p) => [p.key, p.status])).toEqual([
      ['visit', 'COMPLETED'],
      ['repair', 'COMPLETED'],
    ]);
    // a call opened now runs the new version
    const later = await callOf(await openCall('Nia New', 'repair-visit'));
    expect([later.processVersion, later.phases.map((p) => p.key)]).toEqual([v2.template.version, ['remote']]);
  });
});
