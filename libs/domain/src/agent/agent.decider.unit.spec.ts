import fc from 'fast-check';
import { ConflictError, NotFoundError, ValidationError } from '../shared/domain-error';
import { specLanguage } from '../testing/given-when-then';
import { AgentCommand, AgentCommandContext } from './agent.commands';
import { activeAbsence, isAbsentAt } from '../routing/absence';
import { agentLoadRatio, decideAgent, evolveAgent, foldAgent, routingCandidateOf } from './agent.decider';
import { AgentEvent } from './agent.events';
import { Agent, agentExists, AgentState } from './agent.types';

// given these events, when this command, then these events (or this error)

const AGENT_ID = 'anna';
const EARLIER = '2026-03-02T08:00:00.000Z';
const NOW = new Date('2026-03-02T09:00:00.000Z');
const at = NOW.toISOString();
const by = 'apikey:boss';
const ctx: AgentCommandContext = { now: NOW, actor: by };

const INPUT = {
  name: 'Anna Schmidt',
  regions: ['DE-North', 'de-north', 'berlin'],
  skills: [
    { kind: 'CATEGORY', key: 'Billing', level: 4 },
    { kind: 'PRODUCT', key: 'router-x1', level: 2 },
  ],
  languages: ['de', 'EN-GB'],
  roles: ['dispatcher', 'Dispatcher', 'agent'],
  capacity: 3,
  workingHours: { timezone: 'Europe/Berlin', weekly: [{ day: 'MON', from: '09:00', to: '17:00' }] },
};

const registered = (capacity = 3): AgentEvent => ({
  type: 'AgentRegistered',
  data: {
    agentId: AGENT_ID,
    name: 'Anna Schmidt',
    regions: ['de-north', 'berlin'],
    skills: [
      { kind: 'CATEGORY', key: 'Billing', level: 4 },
      { kind: 'PRODUCT', key: 'router-x1', level: 2 },
    ],
    languages: ['de', 'en-gb'],
    roles: ['dispatcher', 'agent'],
    capacity,
    workingHours: { timezone: 'Europe/Berlin', weekly: [{ day: 'MON', from: '09:00', to: '17:00' }], holidays: [] },
    by,
    at: EARLIER,
  },
});
const taken = (callId: string, override = false): AgentEvent => ({ type: 'AgentCallTaken', data: { agentId: AGENT_ID, callId, override, by: 'workflow', at: EARLIER } });
const availability = (from: 'AVAILABLE' | 'AWAY' | 'OFFLINE', to: 'AVAILABLE' | 'AWAY' | 'OFFLINE'): AgentEvent => ({
  type: 'AgentAvailabilityChanged',
  data: { agentId: AGENT_ID, from, to, by, at: EARLIER },
});
const absence = (id: string, from: string, to: string, replacementAgentId: string | null = null): AgentEvent => ({
  type: 'AgentAbsenceScheduled',
  data: { agentId: AGENT_ID, absence: { id, from, to, reason: 'holiday', replacementAgentId }, by, at: EARLIER },
});

/** the event as decided now */
const atNow = (event: AgentEvent): AgentEvent => ({ ...event, data: { ...event.data, at } }) as AgentEvent;

const given = specLanguage((events: AgentEvent[]) => foldAgent(events), decideAgent, ctx);

const stateOf = (...history: AgentEvent[]) => foldAgent(history) as Agent;

describe('agent decider: registration and profile', () => {
  it('registers a new agent with a normalised profile', () => {
    given().when({ type: 'RegisterAgent', data: { agentId: AGENT_ID, input: INPUT } }).then([atNow(registered())]);
  });

  it('a registered agent is AVAILABLE, idle and never assigned', () => {
    expect(stateOf(registered())).toMatchObject({ status: 'ACTIVE', id: AGENT_ID, version: 1, availability: 'AVAILABLE', openCalls: [], absences: [], lastAssignedAt: null });
  });

  it('refuses to register the same id twice', () => {
    given(registered()).when({ type: 'RegisterAgent', data: { agentId: AGENT_ID, input: INPUT } }).thenThrows(ConflictError, { field: 'id' });
  });

  it.each([
    [{ ...INPUT, name: '  ' }, 'name'],
    [{ ...INPUT, regions: [] }, 'regions'],
    [{ ...INPUT, regions: ['north', 'de north'] }, 'regions[1]'],
    [{ ...INPUT, skills: [{ kind: 'CATEGORY', key: 'billing', level: 6 }] }, 'skills[0].level'],
    [{ ...INPUT, skills: [{ kind: 'CATEGORY', key: 'billing', level: 2.5 }] }, 'skills[0].level'],
    [{ ...INPUT, skills: [{ kind: 'SERVICE', key: 'billing', level: 2 }] }, 'skills[0].kind'],
    [{ ...INPUT, skills: [{ kind: 'CATEGORY', key: 'billing', level: 2 }, { kind: 'CATEGORY', key: ' BILLING', level: 3 }] }, 'skills[1].key'],
    [{ ...INPUT, languages: ['de', 'german'] }, 'languages[1]'],
    [{ ...INPUT, languages: ['de_DE'] }, 'languages[0]'],
    [{ ...INPUT, capacity: 0 }, 'capacity'],
    [{ ...INPUT, capacity: 1001 }, 'capacity'],
    [{ ...INPUT, capacity: '3' }, 'capacity'],
    [{ ...INPUT, workingHours: { timezone: 'Europe/Berlin', weekly: [{ day: 'MON', from: '9:00', to: '17:00' }] } }, 'workingHours.weekly[0].from'],
    [{ ...INPUT, workingHours: { timezone: 'Mars/Olympus', weekly: [] } }, 'workingHours.timezone'],
    [{ ...INPUT, roles: ['ok', ''] }, 'roles[1]'],
  ])('refuses an invalid registration (%#), naming the field', (input, field) => {
    given().when({ type: 'RegisterAgent', data: { agentId: AGENT_ID, input } }).thenThrows(ValidationError, { field });
  });

  it('an update records only the fields that change', () => {
    given(registered())
      .when({ type: 'UpdateAgent', data: { input: { name: 'Anna Schmidt', capacity: 5, languages: ['de', 'en-gb'], workingHours: null } } })
      .then([{ type: 'AgentUpdated', data: { agentId: AGENT_ID, changes: { capacity: 5, workingHours: null }, by, at } }]);
    given(registered()).when({ type: 'UpdateAgent', data: { input: { name: 'Anna Schmidt' } } }).then([]);
    expect(stateOf(registered(), { type: 'AgentUpdated', data: { agentId: AGENT_ID, changes: { capacity: 5 }, by, at } })).toMatchObject({ capacity: 5, name: 'Anna Schmidt', version: 2 });
  });

  it('an update is validated like a registration and refused on an unknown agent', () => {
    given(registered()).when({ type: 'UpdateAgent', data: { input: { skills: [{ kind: 'PRODUCT', key: 'x', level: 0 }] } } }).thenThrows(ValidationError, { field: 'skills[0].level' });
    given().when({ type: 'UpdateAgent', data: { input: { capacity: 2 } } }).thenThrows(NotFoundError, { field: 'agentId' });
  });
});

describe('agent decider: availability and absences', () => {
  it('changes availability, and the same availability again is a no-op', () => {
    given(registered()).when({ type: 'SetAgentAvailability', data: { availability: 'AWAY' } }).then([atNow(availability('AVAILABLE', 'AWAY'))]);
    given(registered()).when({ type: 'SetAgentAvailability', data: { availability: 'AVAILABLE' } }).then([]);
    given(registered()).when({ type: 'SetAgentAvailability', data: { availability: 'ASLEEP' } }).thenThrows(ValidationError, { field: 'availability' });
  });

  it('schedules an absence; the same absence id again appends nothing', () => {
    const input = { from: '2026-03-09T00:00:00+01:00', to: '2026-03-14T00:00:00+01:00', reason: 'holiday', replacementAgentId: 'ben' };
    const event: AgentEvent = {
      type: 'AgentAbsenceScheduled',
      data: { agentId: AGENT_ID, absence: { id: 'abs-1', from: '2026-03-08T23:00:00.000Z', to: '2026-03-13T23:00:00.000Z', reason: 'holiday', replacementAgentId: 'ben' }, by, at },
    };
    given(registered()).when({ type: 'ScheduleAbsence', data: { absenceId: 'abs-1', input } }).then([event]);
    given(registered(), event).when({ type: 'ScheduleAbsence', data: { absenceId: 'abs-1', input } }).then([]);
  });

  it.each([
    [{ from: '2026-03-09T00:00:00Z', to: '2026-03-09T00:00:00Z', reason: 'x' }, 'to'],
    [{ from: '2026-03-01T00:00:00Z', to: '2026-03-02T08:59:00Z', reason: 'x' }, 'to'],
    [{ from: 'next monday', to: '2026-03-09T00:00:00Z', reason: 'x' }, 'from'],
    [{ from: '2026-03-09T00:00:00Z', to: '2026-03-10T00:00:00Z', reason: ' ' }, 'reason'],
    [{ from: '2026-03-09T00:00:00Z', to: '2026-03-10T00:00:00Z', reason: 'x', replacementAgentId: AGENT_ID }, 'replacementAgentId'],
    [{ from: '2026-03-09T00:00:00Z', to: '2026-03-10T00:00:00Z', reason: 'x', replacementAgentId: 'Ben Smith' }, 'replacementAgentId'],
  ])('refuses an invalid absence (%#), naming the field', (input, field) => {
    given(registered()).when({ type: 'ScheduleAbsence', data: { absenceId: 'abs-1', input } }).thenThrows(ValidationError, { field });
  });

  it('an absence counts from `from` (inclusive) to `to` (exclusive) until cancelled', () => {
    const agent = stateOf(registered(), absence('a1', '2026-03-02T08:30:00.000Z', '2026-03-02T10:00:00.000Z', 'ben'));
    expect(isAbsentAt(agent, new Date('2026-03-02T08:29:59.999Z'))).toBe(false);
    expect(activeAbsence(agent, new Date('2026-03-02T08:30:00.000Z'))?.replacementAgentId).toBe('ben');
    expect(isAbsentAt(agent, new Date('2026-03-02T10:00:00.000Z'))).toBe(false);
    const cancelled = evolveAgent(agent, { type: 'AgentAbsenceCancelled', data: { agentId: AGENT_ID, absenceId: 'a1', by, at } }) as Agent;
    expect(isAbsentAt(cancelled, NOW)).toBe(false);
    expect(cancelled.absences[0]?.cancelledAt).toBe(at);
  });

  it('cancels an absence once; an unknown one is NOT_FOUND, one already over a CONFLICT', () => {
    const planned = absence('a1', '2026-03-09T00:00:00.000Z', '2026-03-10T00:00:00.000Z');
    const cancelled: AgentEvent = { type: 'AgentAbsenceCancelled', data: { agentId: AGENT_ID, absenceId: 'a1', by, at } };
    given(registered(), planned).when({ type: 'CancelAbsence', data: { absenceId: 'a1' } }).then([cancelled]);
    given(registered(), planned, cancelled).when({ type: 'CancelAbsence', data: { absenceId: 'a1' } }).then([]);
    given(registered()).when({ type: 'CancelAbsence', data: { absenceId: 'a1' } }).thenThrows(NotFoundError, { field: 'absenceId' });
    given(registered(), absence('old', '2026-02-01T00:00:00.000Z', '2026-02-02T00:00:00.000Z')).when({ type: 'CancelAbsence', data: { absenceId: 'old' } }).thenThrows(ConflictError, { field: 'absenceId' });
  });
});

const take = (callId: string, override = false): AgentCommand => ({ type: 'TakeCall', data: { callId, override } });
const wf: AgentCommandContext = { now: NOW, actor: 'workflow' };

describe('agent decider: load (takeCall, releaseCall)', () => {
  it('takes a call while under capacity, and records when', () => {
    given(registered()).when(take('c1'), wf).then([{ type: 'AgentCallTaken', data: { agentId: AGENT_ID, callId: 'c1', override: false, by: 'workflow', at } }]);
    const agent = stateOf(registered(), taken('c1'));
    expect(agent).toMatchObject({ openCalls: ['c1'], lastAssignedAt: EARLIER });
    expect(agentLoadRatio(agent)).toBeCloseTo(1 / 3);
  });

  it('taking a call already held is a no-op; releasing one not held too', () => {
    given(registered(), taken('c1')).when(take('c1'), wf).then([]);
    given(registered(), taken('c1')).when({ type: 'ReleaseCall', data: { callId: 'c2', reason: 'resolved' } }, wf).then([]);
  });

  it('refuses a call at capacity unless a manager overrides', () => {
    given(registered(2), taken('c1'), taken('c2')).when(take('c3'), wf).thenThrows(ConflictError, { field: 'agentId', message: /capacity \(2\/2\)/ });
    given(registered(2), taken('c1'), taken('c2')).when(take('c3', true), wf).then([{ type: 'AgentCallTaken', data: { agentId: AGENT_ID, callId: 'c3', override: true, by: 'workflow', at } }]);
  });

  it('refuses a call for an agent who is AWAY, OFFLINE or absent now, even with an override', () => {
    given(registered(), availability('AVAILABLE', 'AWAY')).when(take('c1', true), wf).thenThrows(ConflictError, { field: 'agentId', message: /AWAY/ });
    given(registered(), availability('AVAILABLE', 'OFFLINE')).when(take('c1'), wf).thenThrows(ConflictError, { field: 'agentId', message: /OFFLINE/ });
    given(registered(), absence('a1', '2026-03-02T00:00:00.000Z', '2026-03-03T00:00:00.000Z')).when(take('c1', true), wf).thenThrows(ConflictError, { field: 'agentId', message: /absent/ });
    // an absence that has not started yet does not stop anything
    given(registered(), absence('a1', '2026-03-05T00:00:00.000Z', '2026-03-06T00:00:00.000Z')).when(take('c1'), wf).then([expect.objectContaining({ type: 'AgentCallTaken' })]);
  });

  it('releases a held call with a reason; an AWAY agent may still release', () => {
    given(registered(), taken('c1'), availability('AVAILABLE', 'AWAY'))
      .when({ type: 'ReleaseCall', data: { callId: 'c1', reason: 'resolved' } }, wf)
      .then([{ type: 'AgentCallReleased', data: { agentId: AGENT_ID, callId: 'c1', reason: 'resolved', by: 'workflow', at } }]);
    expect(stateOf(registered(), taken('c1'), taken('c2'), { type: 'AgentCallReleased', data: { agentId: AGENT_ID, callId: 'c1', reason: 'r', by, at } }).openCalls).toEqual(['c2']);
  });

  it('commands on an unknown agent are NOT_FOUND', () => {
    given().when(take('c1'), wf).thenThrows(NotFoundError, { field: 'agentId' });
  });
});

describe('agent decider: what routing sees, and capacity (property)', () => {
  it('the routing candidate carries the load and everything the policy needs', () => {
    expect(routingCandidateOf(stateOf(registered(), taken('c1')))).toEqual({
      agentId: AGENT_ID,
      regions: ['de-north', 'berlin'],
      skills: expect.any(Array),
      languages: ['de', 'en-gb'],
      roles: ['dispatcher', 'agent'],
      capacity: 3,
      openCalls: 1,
      availability: 'AVAILABLE',
      workingHours: expect.objectContaining({ timezone: 'Europe/Berlin' }),
      absences: [],
      lastAssignedAt: EARLIER,
    });
  });

  it('property: takeCall/releaseCall without override never exceed capacity and never hold a call twice', () => {
    const op = fc.oneof(
      fc.record({ type: fc.constant('TakeCall' as const), callId: fc.integer({ min: 0, max: 12 }) }),
      fc.record({ type: fc.constant('ReleaseCall' as const), callId: fc.integer({ min: 0, max: 12 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 80 }), (capacity, ops) => {
        let state: AgentState = foldAgent([registered(capacity)]);
        for (const { type, callId } of ops) {
          const command: AgentCommand =
            type === 'TakeCall' ? { type, data: { callId: `c${callId}` } } : { type, data: { callId: `c${callId}`, reason: 'done' } };
          let events: AgentEvent[] = [];
          try {
            events = decideAgent(command, state, wf);
          } catch (error) {
            // the only refusal here is a full agent
            expect(error).toBeInstanceOf(ConflictError);
            expect(agentExists(state) && state.openCalls.length).toBe(capacity);
          }
          state = events.reduce(evolveAgent, state);
          if (!agentExists(state)) throw new Error('agent vanished');
          expect(state.openCalls.length).toBeLessThanOrEqual(capacity);
          expect(new Set(state.openCalls).size).toBe(state.openCalls.length);
        }
      }),
    );
  });
});
