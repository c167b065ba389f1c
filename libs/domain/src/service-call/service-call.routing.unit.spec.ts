import fc from 'fast-check';
import { ProcessTemplate } from '../process/process-template';
import { STANDARD_COMPLAINT } from '../process/standard-complaint.template';
import { WORKFLOW_ACTOR } from '../shared/actors';
import { ConflictError, ForbiddenError, ValidationError } from '../shared/domain-error';
import { CommandContext, ServiceCallCommand } from './service-call.commands';
import { decide } from './service-call.decider';
import { evolve, foldServiceCall } from './service-call.evolve';
import { ServiceCallEvent } from './service-call.events';
import { callSpecs } from '../testing/call-given-when-then';
import { LIMITS } from '../shared/validation';
import { bestRoleHolder, CALLBACK_STEP, nextRoutingAction, routingRequestOf, stepAssignments } from './service-call.routing';
import { RoutingCandidate } from '../routing/routing.types';
import { Channel, ServiceCall } from './service-call.types';

// given/when/then for the routing side of a call, as in service-call.decider.unit.spec.ts

const CALL_ID = 'call-0001';
const EARLIER = '2025-03-10T08:00:00.000Z';
const NOW = new Date('2025-03-10T09:00:00.000Z');
const at = NOW.toISOString();
const MANAGER = 'apikey:manager-mia';
const manager: CommandContext = { now: NOW, actor: MANAGER };
const workflow: CommandContext = { now: NOW, actor: WORKFLOW_ACTOR };

const given = callSpecs(manager);

function opened(channel: Channel = 'PHONE', template: ProcessTemplate = STANDARD_COMPLAINT, extra: { language?: string; region?: string } = {}): ServiceCallEvent {
  return {
    type: 'ServiceCallOpened',
    data: {
      callId: CALL_ID,
      trackingCode: 'TRK-7Q4M-2XZ9',
      channel,
      priority: 'NORMAL',
      category: 'billing',
      ...extra,
      summary: 'Charged twice',
      customer: { name: 'Ada Lovelace', phone: '+44 20 7946 0958' },
      receivedAt: EARLIER,
      process: { key: template.key, version: template.version, phases: template.phases.map((p) => ({ key: p.key, name: p.name, steps: p.steps })) },
      at: EARLIER,
    },
  };
}

const phaseStarted = (phaseKey: string): ServiceCallEvent => ({ type: 'PhaseStarted', data: { phaseKey, at: EARLIER } });
const assigned = (agentId: string, previousAgentId: string | null = null, more: Partial<Extract<ServiceCallEvent, { type: 'CallAssigned' }>['data']> = {}): ServiceCallEvent => ({
  type: 'CallAssigned',
  data: { agentId, previousAgentId, trigger: 'OPENED', automatic: true, reasons: ['load:0/3'], runnerUp: null, steps: [], by: WORKFLOW_ACTOR, at: EARLIER, ...more },
});
const unassigned = (agentId: string, trigger: 'REROUTE' | 'ASSIGNEE_ABSENT' | 'ASSIGNEE_OFFLINE' = 'REROUTE', preferredAgentId: string | null = null): ServiceCallEvent => ({
  type: 'CallUnassigned',
  data: { agentId, trigger, reason: 'moved', preferredAgentId, by: MANAGER, at: EARLIER },
});
const queued = (): ServiceCallEvent => ({ type: 'CallQueued', data: { reasons: ['no-eligible-agent', 'agents:2', 'skill:2'], by: WORKFLOW_ACTOR, at: EARLIER } });
const resolved = (): ServiceCallEvent => ({ type: 'ServiceCallResolved', data: { at: EARLIER } });
const reopened = (): ServiceCallEvent => ({ type: 'ServiceCallReopened', data: { reason: 'fault came back', phaseKey: 'resolution', by: MANAGER, at: EARLIER } });
const callbackRequested = (): ServiceCallEvent => ({
  type: 'CallbackRequested',
  data: { phone: '+442079460958', windowFrom: '2025-03-10T08:30:00.000Z', windowTo: '2025-03-10T12:00:00.000Z', by: MANAGER, at: EARLIER },
});

const assign = (agentId: string, data: Partial<Extract<ServiceCallCommand, { type: 'AssignServiceCall' }>['data']> = {}): ServiceCallCommand => ({
  type: 'AssignServiceCall',
  data: { agentId, trigger: 'OPENED', ...data },
});
const unassign = (expectedAgentId: string, trigger = 'REROUTE', reason = 'the customer asked for someone else'): ServiceCallCommand => ({
  type: 'UnassignServiceCall',
  data: { trigger, reason, expectedAgentId } as never,
});
const queue = (reasons = ['no-eligible-agent']): ServiceCallCommand => ({ type: 'QueueServiceCall', data: { reasons } });
const requestCallback = (data: Record<string, unknown> = {}): ServiceCallCommand => ({
  type: 'RequestCallback',
  data: { phone: '+44 20 7946 0958', windowFrom: '2025-03-10T10:00:00Z', windowTo: '2025-03-10T12:00:00Z', ...data },
});

const fold = (...events: ServiceCallEvent[]) => foldServiceCall(events) as ServiceCall;

describe('assigning a call', () => {
  it('routing (the workflow) records its decision with reasons and the runner-up', () => {
    given(opened())
      .when(assign('anna', { reasons: ['region:any', 'category:billing@4', 'load:0/3', 'decided-by:load'], runnerUp: { agentId: 'ben', reasons: ['load:1/3'] } }), workflow)
      .then([
        {
          type: 'CallAssigned',
          data: {
            agentId: 'anna',
            previousAgentId: null,
            trigger: 'OPENED',
            automatic: true,
            reasons: ['region:any', 'category:billing@4', 'load:0/3', 'decided-by:load'],
            runnerUp: { agentId: 'ben', reasons: ['load:1/3'] },
            steps: [],
            by: WORKFLOW_ACTOR,
            at,
          },
        },
      ]);
  });

  it('only the workflow assigns automatically; a manager assigns MANUAL, with a note', () => {
    given(opened()).when(assign('anna'), manager).thenThrows(ForbiddenError, { code: 'FORBIDDEN', message: /only routing/ });
    given(opened(), assigned('anna'))
      .when(assign('ben', { trigger: 'MANUAL', reason: 'knows the customer' }), manager)
      .then([
        {
          type: 'CallAssigned',
          data: { agentId: 'ben', previousAgentId: 'anna', trigger: 'MANUAL', automatic: false, reasons: [], runnerUp: null, steps: [], reason: 'knows the customer', by: MANAGER, at },
        },
      ]);
  });

  it("trims a manager's note and refuses one that is too long, naming the field", () => {
    const events = decide(assign('ben', { trigger: 'MANUAL', reason: '  knows the customer  ' }), fold(opened()), manager);
    expect(events[0]).toMatchObject({ type: 'CallAssigned', data: { reason: 'knows the customer' } });
    given(opened()).when(assign('ben', { trigger: 'MANUAL', reason: 'x'.repeat(LIMITS.outcome + 1) }), manager).thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field: 'reason' });
  });

  it('routing repeating itself for the agent who holds the call changes nothing; a manager assigning them again is recorded', () => {
    given(opened(), assigned('anna')).when(assign('anna'), workflow).then([]);
    const events = decide(assign('anna', { trigger: 'MANUAL' }), fold(opened(), assigned('anna')), manager);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'CallAssigned', data: { agentId: 'anna', previousAgentId: 'anna', automatic: false } });
  });

  it('gives open steps their agents and refuses an unknown step with its field path', () => {
    const call = evolve(fold(opened()), assigned('anna', null, { steps: [{ stepKey: 'record-complaint', agentId: 'anna' }, { stepKey: 'inspect-problem', agentId: 'tom' }] })) as ServiceCall;
    expect(call.assignee).toBe('anna');
    expect(call.phases[0].steps.find((s) => s.key === 'record-complaint')!.assignee).toBe('anna');
    expect(call.phases[1].steps.find((s) => s.key === 'inspect-problem')!.assignee).toBe('tom');
    given(opened())
      .when(assign('anna', { trigger: 'MANUAL', steps: [{ stepKey: 'record-complaint', agentId: 'anna' }, { stepKey: 'no-such-step', agentId: 'anna' }] }))
      .thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field: 'steps[1].stepKey' });
  });

  it('refuses a blank agent id', () => {
    given(opened()).when(assign('  ', { trigger: 'MANUAL' })).thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field: 'agentId' });
  });

  it('records the assignment log, clears the queue and the preferences of the round', () => {
    const call = fold(opened(), assigned('anna'), unassigned('anna', 'ASSIGNEE_ABSENT', 'ben'), queued(), assigned('carl', null, { trigger: 'QUEUE' }));
    expect(call.assignee).toBe('carl');
    expect(call.assignments.map((a) => [a.agentId, a.trigger])).toEqual([
      ['anna', 'OPENED'],
      ['carl', 'QUEUE'],
    ]);
    expect(call.queuedAt).toBeUndefined();
    expect(call.queueReasons).toBeUndefined();
    expect(call.preferredAgentId).toBeUndefined();
    expect(call.routingExcluded).toBeUndefined();
  });

  it('is refused on a finished call', () => {
    given(opened(), resolved()).when(assign('anna', { trigger: 'MANUAL' })).thenThrows(ConflictError, { code: 'CONFLICT', message: /RESOLVED/ });
  });
});

describe('the callback step comes with the assignment', () => {
  it('is READY in the active phase, for the agent, with the phone in its instructions', () => {
    const history = [opened(), phaseStarted('intake'), callbackRequested()];
    const events = decide(assign('anna'), fold(...history), workflow);
    expect(events[1]).toEqual({
      type: 'CallbackStepCreated',
      data: { phaseKey: 'intake', stepKey: CALLBACK_STEP.key, name: CALLBACK_STEP.name, agentId: 'anna', phone: '+442079460958', at },
    });
    const call = events.reduce(evolve, fold(...history)) as ServiceCall;
    const step = call.phases[0].steps.find((s) => s.key === CALLBACK_STEP.key)!;
    expect(step).toMatchObject({ status: 'READY', readyAt: at, assignee: 'anna', automated: false, dependsOn: [], attempt: 1 });
    expect(step.instructions).toContain('+442079460958');
    expect(call.callback).toMatchObject({ stepKey: CALLBACK_STEP.key, agentId: 'anna' });
  });

  it('waits PENDING in the first phase when no phase is active yet', () => {
    const events = decide(assign('anna'), fold(opened(), callbackRequested()), workflow);
    const call = events.reduce(evolve, fold(opened(), callbackRequested())) as ServiceCall;
    expect(call.phases[0].steps.find((s) => s.key === CALLBACK_STEP.key)!.status).toBe('PENDING');
  });

  it('is created once: a later assignment does not add another', () => {
    const history = [opened(), phaseStarted('intake'), callbackRequested(), ...decide(assign('anna'), fold(opened(), phaseStarted('intake'), callbackRequested()), workflow), unassigned('anna')];
    const events = decide(assign('ben', { trigger: 'REROUTE' }), fold(...history), workflow);
    expect(events.map((e) => e.type)).toEqual(['CallAssigned']);
  });

  it('never takes a key the process already uses', () => {
    const template: ProcessTemplate = {
      ...STANDARD_COMPLAINT,
      phases: [{ ...STANDARD_COMPLAINT.phases[0], steps: [...STANDARD_COMPLAINT.phases[0].steps, { key: 'call-back', name: 'Ring', dependsOn: [], automated: false }] }],
    };
    const events = decide(assign('anna'), fold(opened('PHONE', template), phaseStarted('intake'), callbackRequested()), workflow);
    expect(events[1]).toMatchObject({ type: 'CallbackStepCreated', data: { stepKey: 'call-back-2' } });
  });
});

describe('an agent works the steps assigned to them', () => {
  const withSteps = [opened(), phaseStarted('intake'), { type: 'StepReady', data: { phaseKey: 'intake', stepKey: 'record-complaint', at: EARLIER } } as ServiceCallEvent];
  const asAgent = (agentId: string): CommandContext => ({ now: NOW, actor: `apikey:${agentId}`, agentId });
  const start: ServiceCallCommand = { type: 'StartStep', data: { stepKey: 'record-complaint' } };

  it('refuses another agent (FORBIDDEN, naming the step) and lets the assignee, managers and integrators work it', () => {
    const history = [...withSteps, assigned('anna', null, { steps: [{ stepKey: 'record-complaint', agentId: 'anna' }] })];
    given(...history).when(start, asAgent('ben')).thenThrows(ForbiddenError, { code: 'FORBIDDEN', field: 'stepKey', message: /assigned to agent anna/ });
    given(...history).when({ type: 'CompleteStep', data: { stepKey: 'record-complaint' } }, asAgent('ben')).thenThrows(ForbiddenError, { code: 'FORBIDDEN', field: 'stepKey' });
    given(...history).when({ type: 'FailStep', data: { stepKey: 'record-complaint', reason: 'no' } }, asAgent('ben')).thenThrows(ForbiddenError, { code: 'FORBIDDEN' });
    expect(decide(start, fold(...history), asAgent('anna')).map((e) => e.type)).toEqual(['StepStarted']);
    expect(decide(start, fold(...history), manager).map((e) => e.type)).toEqual(['StepStarted']);
  });

  it('lets any agent work a step assigned to nobody', () => {
    expect(decide(start, fold(...withSteps), asAgent('ben')).map((e) => e.type)).toEqual(['StepStarted']);
  });
});

describe('unassigning a call', () => {
  it('names the agent taken off the call as the previous agent of the next assignment', () => {
    given(opened(), assigned('anna'), unassigned('anna', 'ASSIGNEE_ABSENT', 'ben'))
      .when(assign('ben', { trigger: 'ASSIGNEE_ABSENT' }), workflow)
      .then([
        {
          type: 'CallAssigned',
          data: { agentId: 'ben', previousAgentId: 'anna', trigger: 'ASSIGNEE_ABSENT', automatic: true, reasons: [], runnerUp: null, steps: [], by: WORKFLOW_ACTOR, at },
        },
      ]);
  });
  it('takes the agent off when they still hold the call; the next round excludes them', () => {
    given(opened(), assigned('anna'))
      .when(unassign('anna'))
      .then([{ type: 'CallUnassigned', data: { agentId: 'anna', trigger: 'REROUTE', reason: 'the customer asked for someone else', preferredAgentId: null, by: MANAGER, at } }]);
    const call = fold(opened(), assigned('anna', null, { steps: [{ stepKey: 'record-complaint', agentId: 'anna' }] }), unassigned('anna'));
    expect(call.assignee).toBeUndefined();
    expect(call.routingRound).toBe(2);
    expect(call.routingTrigger).toBe('REROUTE');
    expect(call.routingExcluded).toEqual(['anna']);
    // the steps the agent had and did not finish go with them
    expect(call.phases[0].steps.find((s) => s.key === 'record-complaint')!.assignee).toBeUndefined();
  });

  it('changes nothing when someone else holds the call by now, nobody does, or the call is over', () => {
    given(opened(), assigned('anna'), assigned('ben', 'anna', { trigger: 'MANUAL', automatic: false })).when(unassign('anna')).then([]);
    given(opened()).when(unassign('anna')).then([]);
    given(opened(), assigned('anna'), resolved()).when(unassign('anna', 'ASSIGNEE_ABSENT')).then([]);
  });

  it('carries an absence replacement as the preferred agent', () => {
    const call = fold(opened(), assigned('anna'), unassigned('anna', 'ASSIGNEE_ABSENT', 'ben'));
    expect(routingRequestOf(call)).toMatchObject({ excludeAgentIds: ['anna'], preferredAgentId: 'ben' });
  });

  it.each([
    ['an unknown trigger', unassign('anna', 'BORED'), 'trigger'],
    ['a blank reason', unassign('anna', 'REROUTE', '  '), 'reason'],
  ])('refuses %s, naming the field', (_case, command, field) => {
    given(opened(), assigned('anna')).when(command).thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field });
  });
});

describe('queueing a call', () => {
  it('queues once, by the workflow only, never an assigned call', () => {
    given(opened()).when(queue(['no-eligible-agent', 'agents:3']), workflow).then([{ type: 'CallQueued', data: { reasons: ['no-eligible-agent', 'agents:3'], by: WORKFLOW_ACTOR, at } }]);
    given(opened(), queued()).when(queue(), workflow).then([]);
    given(opened(), assigned('anna')).when(queue(), workflow).then([]);
    given(opened()).when(queue(), manager).thenThrows(ForbiddenError, { code: 'FORBIDDEN', message: /only routing/ });
  });

  it('a queued call shows since when and why, and routing leaves it to the queue', () => {
    const call = fold(opened(), queued());
    expect(call.queuedAt).toBe(EARLIER);
    expect(call.queueReasons).toEqual(['no-eligible-agent', 'agents:2', 'skill:2']);
    expect(nextRoutingAction(call)).toBeNull();
  });
});

describe('requesting a callback', () => {
  it('records the number and window of a customer waiting on a voice channel', () => {
    given(opened('PHONE'))
      .when(requestCallback())
      .then([{ type: 'CallbackRequested', data: { phone: '+44 20 7946 0958', windowFrom: '2025-03-10T10:00:00.000Z', windowTo: '2025-03-10T12:00:00.000Z', by: MANAGER, at } }]);
    expect(decide(requestCallback(), fold(opened('CALLBACK')), manager)).toHaveLength(1);
    expect(decide(requestCallback(), fold(opened('PHONE'), queued()), manager)).toHaveLength(1);
  });

  it.each<Channel>(['EMAIL', 'WEB', 'CHAT', 'WHATSAPP', 'SOCIAL'])('is refused on the %s channel', (channel) => {
    given(opened(channel)).when(requestCallback()).thenThrows(ConflictError, { code: 'CONFLICT', message: /voice channel/ });
  });

  it('is refused once an agent holds the call', () => {
    given(opened(), assigned('anna')).when(requestCallback()).thenThrows(ConflictError, { code: 'CONFLICT', message: /anna/ });
  });

  it.each([
    ['a window ending before it starts', { windowTo: '2025-03-10T09:30:00Z', windowFrom: '2025-03-10T10:00:00Z' }, 'windowTo'],
    ['a window already over', { windowFrom: '2025-03-10T07:00:00Z', windowTo: '2025-03-10T08:00:00Z' }, 'windowTo'],
    ['a window without a time zone', { windowFrom: '2025-03-10T10:00:00' }, 'windowFrom'],
    ['no phone number', { phone: '  ' }, 'phone'],
    ['a phone that is not a number', { phone: 'call me' }, 'phone'],
  ])('refuses %s, naming the field', (_case, patch, field) => {
    given(opened()).when(requestCallback(patch)).thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field });
  });
});

describe('reopening makes the call routable again', () => {
  it('prefers the agent who had it, in a new REOPENED round', () => {
    const call = fold(opened(), assigned('anna'), resolved(), reopened());
    expect(call.assignee).toBeUndefined();
    expect(call.routingRound).toBe(2);
    expect(nextRoutingAction(call)).toEqual({
      kind: 'RouteCall',
      round: 2,
      trigger: 'REOPENED',
      request: { callId: CALL_ID, region: null, category: 'billing', product: null, language: null, excludeAgentIds: [], preferredAgentId: 'anna' },
    });
  });

  it('a call that never had an agent keeps its round (it is still routed, as before)', () => {
    const call = fold(opened(), resolved(), reopened());
    expect(call.routingRound).toBe(1);
    expect(nextRoutingAction(call)).toMatchObject({ kind: 'RouteCall', round: 1, trigger: 'OPENED' });
  });
});

describe('nextRoutingAction', () => {
  it('routes a new call, with its region and language', () => {
    expect(nextRoutingAction(fold(opened('PHONE', STANDARD_COMPLAINT, { language: 'de', region: 'de-north' })))).toEqual({
      kind: 'RouteCall',
      round: 1,
      trigger: 'OPENED',
      request: { callId: CALL_ID, region: 'de-north', category: 'billing', product: null, language: 'de', excludeAgentIds: [], preferredAgentId: null },
    });
  });

  it('does nothing for an assigned or queued call; releases the agent of a finished call', () => {
    expect(nextRoutingAction(fold(opened(), assigned('anna')))).toBeNull();
    expect(nextRoutingAction(fold(opened(), queued()))).toBeNull();
    expect(nextRoutingAction(fold(opened(), assigned('anna'), resolved()))).toEqual({ kind: 'ReleaseAgent', round: 1, agentId: 'anna' });
    expect(nextRoutingAction(fold(opened(), resolved()))).toBeNull();
  });

  it('routes again after an unassignment, excluding the agent', () => {
    expect(nextRoutingAction(fold(opened(), assigned('anna'), unassigned('anna', 'ASSIGNEE_OFFLINE')))).toMatchObject({
      kind: 'RouteCall',
      round: 2,
      trigger: 'ASSIGNEE_OFFLINE',
      request: { excludeAgentIds: ['anna'] },
    });
  });
});

describe('stepAssignments', () => {
  const call = fold(opened(), phaseStarted('intake'));
  const technicianSteps = STANDARD_COMPLAINT.phases.flatMap((p) => p.steps).filter((s) => s.role === 'technician' && !s.automated).map((s) => s.key);

  it('gives every open human step to the assignee when they hold its role', () => {
    const result = stepAssignments(call, 'anna', ['Agent', 'technician'], () => 'other');
    expect(result.every((s) => s.agentId === 'anna')).toBe(true);
    const automated = STANDARD_COMPLAINT.phases.flatMap((p) => p.steps).filter((s) => s.automated).map((s) => s.key);
    expect(result.map((s) => s.stepKey)).not.toEqual(expect.arrayContaining(automated));
    expect(result).toHaveLength(STANDARD_COMPLAINT.phases.flatMap((p) => p.steps).length - automated.length);
  });

  it('gives a step of a role the assignee does not hold to the best holder, else to the assignee', () => {
    const asked: string[] = [];
    const result = stepAssignments(call, 'anna', ['agent'], (role) => (asked.push(role), 'tom'));
    expect(result.filter((s) => s.agentId === 'tom').map((s) => s.stepKey)).toEqual(technicianSteps);
    expect(new Set(asked)).toEqual(new Set(['technician']));
    const nobody = stepAssignments(call, 'anna', ['agent'], () => null);
    expect(nobody.every((s) => s.agentId === 'anna')).toBe(true);
  });

  it('asks routing for the best eligible holder of a role (no capacity taken), or nobody', () => {
    const candidate = (agentId: string, roles: string[], level: number, openCalls = 0): RoutingCandidate => ({
      agentId,
      regions: ['*'],
      skills: [{ kind: 'CATEGORY', key: 'billing', level }],
      languages: [],
      roles,
      capacity: 2,
      openCalls,
      availability: 'AVAILABLE',
      workingHours: null,
      absences: [],
      lastAssignedAt: null,
    });
    const request = { ...routingRequestOf(call), category: 'billing' };
    const holder = bestRoleHolder(request, [candidate('ann', ['agent'], 5), candidate('tom', ['technician'], 2), candidate('tia', ['Technician'], 4)], NOW);
    expect(holder('technician')).toBe('tia');
    expect(holder('dispatcher')).toBeNull();
    // a full holder is not eligible
    expect(bestRoleHolder(request, [candidate('tia', ['technician'], 4, 2)], NOW)('technician')).toBeNull();
  });

  it('leaves out finished steps', () => {
    const done = fold(opened(), phaseStarted('intake'), { type: 'StepReady', data: { phaseKey: 'intake', stepKey: 'record-complaint', at: EARLIER } }, {
      type: 'StepCompleted',
      data: { phaseKey: 'intake', stepKey: 'record-complaint', by: 'x', at: EARLIER },
    });
    expect(stepAssignments(done, 'anna', [], () => null).map((s) => s.stepKey)).not.toContain('record-complaint');
  });
});

describe('any sequence of assign / unassign / queue (property)', () => {
  type Op = { kind: 'assign'; agentId: string; manual: boolean } | { kind: 'unassign'; agentId: string } | { kind: 'queue' } | { kind: 'callback' };
  const agentIds = fc.constantFrom('anna', 'ben', 'carl');
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('assign' as const), agentId: agentIds, manual: fc.boolean() }),
    fc.record({ kind: fc.constant('unassign' as const), agentId: agentIds }),
    fc.constant({ kind: 'queue' as const }),
    fc.constant({ kind: 'callback' as const }),
  );

  it('the assignee is the agent of the last CallAssigned after the last CallUnassigned; never assigned and queued at once', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const history: ServiceCallEvent[] = [opened(), phaseStarted('intake')];
        let call = fold(...history);
        for (const o of ops) {
          const command: ServiceCallCommand =
            o.kind === 'assign'
              ? assign(o.agentId, { trigger: o.manual ? 'MANUAL' : 'OPENED' })
              : o.kind === 'unassign'
                ? unassign(o.agentId)
                : o.kind === 'queue'
                  ? queue()
                  : requestCallback();
          let events: ServiceCallEvent[];
          try {
            events = decide(command, call, o.kind === 'assign' && o.manual ? manager : workflow);
          } catch (error) {
            // only a callback on an assigned call may be refused here
            expect(o.kind).toBe('callback');
            expect(call.assignee).toBeDefined();
            continue;
          }
          history.push(...events);
          call = events.reduce(evolve, call) as ServiceCall;
          expect(call.version).toBe(history.length);

          const lastAssigned = history.map((e, i) => [e, i] as const).filter(([e]) => e.type === 'CallAssigned').pop();
          const lastUnassigned = history.map((e, i) => [e, i] as const).filter(([e]) => e.type === 'CallUnassigned').pop();
          const expected = lastAssigned && (!lastUnassigned || lastAssigned[1] > lastUnassigned[1]) ? (lastAssigned[0].data as { agentId: string }).agentId : undefined;
          expect(call.assignee).toBe(expected);
          expect(Boolean(call.assignee && call.queuedAt)).toBe(false);
          // a queued call is never asked to route; an unrouted open one always is
          expect(nextRoutingAction(call) === null).toBe(Boolean(call.assignee || call.queuedAt));
          // at most one "call back" step per request
          const requests = history.filter((e) => e.type === 'CallbackRequested').length;
          expect(call.phases.flatMap((p) => p.steps).filter((s) => s.key.startsWith(CALLBACK_STEP.key)).length).toBeLessThanOrEqual(requests);
        }
      }),
      { numRuns: 300 },
    );
  });
});
