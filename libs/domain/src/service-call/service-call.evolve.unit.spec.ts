import { STANDARD_COMPLAINT } from '../process/standard-complaint.template';
import { WORKFLOW_ACTOR } from '../shared/actors';
import {
  AGENT,
  allPhasesDone,
  CALL_ID,
  EARLIER,
  intakeReady,
  opened,
  phaseCompleted,
  phaseDone,
  phaseStarted,
  resolved,
  stepCompleted,
  stepReady,
  stepStarted,
  TRACKING,
} from '../testing/call-fixtures';
import { ServiceCallEvent } from './service-call.events';
import { evolve, foldServiceCall } from './service-call.evolve';
import { callExists, ServiceCallState, StoredServiceCall, upcastServiceCall } from './service-call.state';
import { ServiceCall } from './service-call.types';

// evolve (service-call.evolve.ts): the call as its events describe it.

const t = (minute: number) => `2025-03-10T08:${String(minute).padStart(2, '0')}:00.000Z`;
const foldCall = (...events: ServiceCallEvent[]): ServiceCall => {
  const state = foldServiceCall(events);
  if (!callExists(state)) throw new Error('expected the call to exist');
  return state;
};
const step = (call: ServiceCall, key: string) => call.phases.flatMap((p) => p.steps).find((s) => s.key === key)!;
const phase = (call: ServiceCall, key: string) => call.phases.find((p) => p.key === key)!;

describe('evolve: the call as its events describe it', () => {
  it('knows no call before it is opened', () => {
    expect(foldServiceCall([])).toEqual({ status: 'NONE', version: 0 });
  });

  it('opens the call OPEN, with every phase and step PENDING in template order', () => {
    const call = foldCall(opened());
    expect(call).toMatchObject({
      id: CALL_ID,
      trackingCode: TRACKING,
      version: 1,
      status: 'OPEN',
      priority: 'NORMAL',
      channel: 'PHONE',
      customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
      receivedAt: EARLIER,
      openedAt: EARLIER,
      updatedAt: EARLIER,
      processKey: 'standard-complaint',
      processVersion: 1,
    });
    expect(call.phases.map((p) => [p.key, p.order, p.status])).toEqual([
      ['intake', 0, 'PENDING'],
      ['diagnosis', 1, 'PENDING'],
      ['resolution', 2, 'PENDING'],
    ]);
    expect(call.phases.flatMap((p) => p.steps).every((s) => s.status === 'PENDING')).toBe(true);
    expect(step(call, 'identify-cause')).toMatchObject({ dependsOn: ['review-customer-history', 'inspect-problem'], automated: false, role: 'technician' });
  });

  it('stays OPEN while phases start and steps become ready', () => {
    const call = foldCall(opened(), phaseStarted('intake', t(1)), stepReady('record-complaint', t(2)));
    expect(call.status).toBe('OPEN');
    expect(phase(call, 'intake')).toMatchObject({ status: 'ACTIVE', startedAt: t(1) });
    expect(step(call, 'record-complaint')).toMatchObject({ status: 'READY', readyAt: t(2) });
    expect(call.updatedAt).toBe(t(2));
    expect(call.version).toBe(3);
  });
});

describe('evolve: working the call', () => {
  it('goes IN_PROGRESS when the first step starts', () => {
    const call = foldCall(opened(), phaseStarted('intake', t(1)), stepReady('record-complaint', t(2)), stepStarted('record-complaint', AGENT, t(3)));
    expect(call.status).toBe('IN_PROGRESS');
    expect(step(call, 'record-complaint')).toMatchObject({ status: 'IN_PROGRESS', startedAt: t(3) });
  });

  it('goes IN_PROGRESS when the first step completes without having been started', () => {
    const call = foldCall(
      opened(),
      phaseStarted('intake', t(1)),
      stepReady('record-complaint', t(2)),
      stepCompleted('record-complaint', AGENT, t(4), 'wants a refund'),
    );
    expect(call.status).toBe('IN_PROGRESS');
    expect(step(call, 'record-complaint')).toMatchObject({ status: 'COMPLETED', startedAt: t(4), completedAt: t(4), outcome: 'wants a refund' });
  });

  it('keeps when a step started when it completes later', () => {
    const call = foldCall(
      opened(),
      phaseStarted('intake', t(1)),
      stepReady('record-complaint', t(2)),
      stepStarted('record-complaint', AGENT, t(3)),
      stepCompleted('record-complaint', AGENT, t(9)),
    );
    expect(step(call, 'record-complaint')).toMatchObject({ status: 'COMPLETED', readyAt: t(2), startedAt: t(3), completedAt: t(9) });
  });

  it('completes a phase with its completion time', () => {
    const call = foldCall(opened(), ...phaseDone('intake').slice(0, -1), phaseCompleted('intake', t(30)));
    expect(phase(call, 'intake')).toMatchObject({ status: 'COMPLETED', completedAt: t(30) });
    expect(phase(call, 'diagnosis').status).toBe('PENDING');
  });

  it('is RESOLVED with resolvedAt when the call resolves', () => {
    const call = foldCall(opened(), ...allPhasesDone(), resolved(t(59)));
    expect(call.status).toBe('RESOLVED');
    expect(call.resolvedAt).toBe(t(59));
    expect(call.updatedAt).toBe(t(59));
  });
});

describe('evolve: versions, times and the state it is given', () => {
  it('counts every event in the version, including event types it does not know', () => {
    const noteAdded = { type: 'NoteAdded', data: { kind: 'INTERNAL', text: 'customer called again', at: t(5) } };
    const call = foldServiceCall([opened(), phaseStarted('intake', t(1)), noteAdded, stepReady('record-complaint', t(7))]);
    expect(call.version).toBe(4);
    expect(callExists(call) && step(call, 'record-complaint').status).toBe('READY');
  });

  it('takes the time of an unknown event that has one, and keeps the last time when it has none', () => {
    const withTime = foldServiceCall([opened(), phaseStarted('intake', t(1)), { type: 'NoteAdded', data: { at: t(5) } }]);
    expect(withTime).toMatchObject({ version: 3, updatedAt: t(5) });
    const withoutTime = foldServiceCall([opened(), phaseStarted('intake', t(1)), { type: 'SomethingElse', data: {} }]);
    expect(withoutTime).toMatchObject({ version: 3, updatedAt: t(1) });
  });

  it('never changes the state it is given', () => {
    const before = foldServiceCall(intakeReady());
    const snapshot = JSON.parse(JSON.stringify(before));
    evolve(before, stepStarted('record-complaint'));
    evolve(before, stepCompleted('record-complaint'));
    evolve(before, phaseCompleted('intake'));
    expect(before).toEqual(snapshot);
  });
});

describe('upcasting: calls stored by older versions read as today', () => {
  const current = () => foldServiceCall(intakeReady()) as ServiceCall;
  /** The call as a version from before notes, escalations, pauses, feedback, contacts, SLA records, routing and step attempts stored it. */
  const legacy = (): StoredServiceCall => {
    const { notes: _n, escalated: _e, escalations: _es, pauses: _p, feedback: _f, contacts: _c, slaEvents: _s, assignments: _a, routingRound: _r, ...rest } = current();
    return { ...rest, phases: rest.phases.map((p) => ({ ...p, steps: p.steps.map(({ attempt: _attempt, ...s }) => s) })) };
  };

  it('a call opened before routing and SLA records existed folds with round 1, no assignments and no records', () => {
    expect(current()).toMatchObject({ routingRound: 1, assignments: [], slaEvents: [], notes: [], pauses: [], escalated: false });
    expect(current().phases.flatMap((p) => p.steps.map((s) => s.attempt))).toEqual(STANDARD_COMPLAINT.phases.flatMap((p) => p.steps.map(() => 1)));
  });

  it('an old-shaped document upcasts to the defaults once; a current one is returned as it is', () => {
    expect(upcastServiceCall(legacy())).toEqual(current());
    const call = current();
    expect(upcastServiceCall(call)).toBe(call);
  });

  it('events on an old-shaped document count from the defaults (attempt 1, routing round 1)', () => {
    const failed: ServiceCallEvent = { type: 'StepFailed', data: { phaseKey: 'intake', stepKey: 'record-complaint', reason: 'x', by: AGENT, at: EARLIER } };
    const retried: ServiceCallEvent = { type: 'StepRetried', data: { phaseKey: 'intake', stepKey: 'record-complaint', by: AGENT, at: EARLIER } };
    const afterRetry = [failed, retried].reduce<ServiceCallState>(evolve, legacy() as unknown as ServiceCall) as ServiceCall;
    expect(afterRetry.phases[0]?.steps[0]).toMatchObject({ key: 'record-complaint', status: 'READY', attempt: 2 });
    const assigned: ServiceCallEvent = {
      type: 'CallAssigned',
      data: { agentId: 'anna', previousAgentId: null, trigger: 'OPENED', automatic: true, reasons: [], runnerUp: null, steps: [], by: WORKFLOW_ACTOR, at: EARLIER },
    };
    const unassigned: ServiceCallEvent = {
      type: 'CallUnassigned',
      data: { agentId: 'anna', trigger: 'REROUTE', reason: 'wrong team', preferredAgentId: null, by: 'apikey:manager', at: EARLIER },
    };
    const rerouted = [assigned, unassigned].reduce<ServiceCallState>(evolve, legacy() as unknown as ServiceCall) as ServiceCall;
    expect(rerouted).toMatchObject({ routingRound: 2, assignments: [expect.objectContaining({ agentId: 'anna' })], notes: [], pauses: [] });
  });
});
