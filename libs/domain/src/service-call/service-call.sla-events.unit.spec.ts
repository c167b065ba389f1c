import { STANDARD_COMPLAINT } from '../process/standard-complaint.template';
import { WORKFLOW_ACTOR } from '../shared/actors';
import { ConflictError, ForbiddenError, ValidationError } from '../shared/domain-error';
import { validateSlaPolicy } from '../sla/sla-policy';
import { CommandContext, ServiceCallCommand } from './service-call.commands';
import { decide } from './service-call.decider';
import { foldServiceCall } from './service-call.evolve';
import { ServiceCallEvent } from './service-call.events';
import { callSla, slaActions } from './service-call.sla';
import { ServiceCall } from './service-call.types';

// SLA states recorded by the workflow: SlaAtRisk, SlaBreached (+ automatic escalation), SlaMet, and
// slaActions, the pure rule that tells the workflow what to record when and when to look again.

const RECEIVED = '2026-01-05T08:00:00.000Z';
const NOW = new Date('2026-01-05T09:00:00.000Z');
const workflow: CommandContext = { now: NOW, actor: WORKFLOW_ACTOR };
const agent: CommandContext = { now: NOW, actor: 'apikey:agent' };
// around the clock: first response within 1 h (at risk after 48 min), resolution within 4 h (at risk after 3 h 12 min)
const POLICY = validateSlaPolicy({ key: 'fast', firstResponseTarget: 'PT1H', resolutionTarget: 'PT4H', warnAt: 0.8 });

const opened: ServiceCallEvent = {
  type: 'ServiceCallOpened',
  data: {
    callId: 'c1',
    trackingCode: 'TRK-1',
    channel: 'PHONE',
    priority: 'NORMAL',
    category: 'billing',
    summary: 'Charged twice',
    customer: { name: 'Ada' },
    receivedAt: RECEIVED,
    process: { key: STANDARD_COMPLAINT.key, version: 1, phases: STANDARD_COMPLAINT.phases.map((p) => ({ key: p.key, name: p.name, steps: p.steps })) },
    sla: { policy: POLICY },
    at: RECEIVED,
  },
};

const callOf = (...events: ServiceCallEvent[]): ServiceCall => foldServiceCall([opened, ...events]) as ServiceCall;
const decideOn = (events: ServiceCallEvent[], command: ServiceCallCommand, ctx = workflow) => decide(command, foldServiceCall([opened, ...events]), ctx);
const at = NOW.toISOString();
const DUE = '2026-01-05T09:00:00.000Z';

describe('recording SLA states (workflow commands)', () => {
  it('RecordSlaAtRisk appends SlaAtRisk; the same (target, dueAt) again appends nothing', () => {
    const events = decideOn([], { type: 'RecordSlaAtRisk', data: { target: 'FIRST_RESPONSE', dueAt: DUE } });
    expect(events).toEqual([{ type: 'SlaAtRisk', data: { target: 'FIRST_RESPONSE', dueAt: DUE, at } }]);
    expect(decideOn(events, { type: 'RecordSlaAtRisk', data: { target: 'FIRST_RESPONSE', dueAt: DUE } })).toEqual([]);
    // another due time (moved by a pause) or another target is a new state
    expect(decideOn(events, { type: 'RecordSlaAtRisk', data: { target: 'FIRST_RESPONSE', dueAt: '2026-01-05T10:00:00.000Z' } })).toHaveLength(1);
    expect(decideOn(events, { type: 'RecordSlaAtRisk', data: { target: 'RESOLUTION', dueAt: DUE } })).toHaveLength(1);
  });

  it('RecordSlaBreach appends SlaBreached and an automatic escalation by the workflow, once', () => {
    const events = decideOn([], { type: 'RecordSlaBreach', data: { target: 'RESOLUTION', dueAt: DUE } });
    expect(events).toEqual([
      { type: 'SlaBreached', data: { target: 'RESOLUTION', dueAt: DUE, at } },
      { type: 'ServiceCallEscalated', data: { reason: 'RESOLUTION SLA breached', by: WORKFLOW_ACTOR, automatic: true, at } },
    ]);
    expect(decideOn(events, { type: 'RecordSlaBreach', data: { target: 'RESOLUTION', dueAt: DUE } })).toEqual([]);
    const call = callOf(...events);
    expect(call.escalated).toBe(true);
    expect(call.slaEvents).toEqual([{ kind: 'BREACHED', target: 'RESOLUTION', dueAt: DUE, at }]);
  });

  it('RecordSlaMet appends SlaMet, also once the call is resolved', () => {
    const resolved: ServiceCallEvent = { type: 'ServiceCallResolved', data: { at } };
    const events = decideOn([resolved], { type: 'RecordSlaMet', data: { target: 'RESOLUTION', dueAt: DUE } });
    expect(events).toEqual([{ type: 'SlaMet', data: { target: 'RESOLUTION', dueAt: DUE, at } }]);
    expect(decideOn([resolved, ...events], { type: 'RecordSlaMet', data: { target: 'RESOLUTION', dueAt: DUE } })).toEqual([]);
    // an alert about a resolved call is refused
    expect(() => decideOn([resolved], { type: 'RecordSlaBreach', data: { target: 'RESOLUTION', dueAt: DUE } })).toThrow(ConflictError);
  });

  it('only the workflow records SLA states; bad input names its field', () => {
    expect(() => decideOn([], { type: 'RecordSlaBreach', data: { target: 'RESOLUTION', dueAt: DUE } }, agent)).toThrow(ForbiddenError);
    const bad = (data: unknown, field: string) => {
      try {
        decideOn([], { type: 'RecordSlaAtRisk', data } as ServiceCallCommand);
        throw new Error('not refused');
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).field).toBe(field);
      }
    };
    bad({ target: 'LUNCH', dueAt: DUE }, 'target');
    bad({ target: 'RESOLUTION', dueAt: 'tomorrow' }, 'dueAt');
  });
});

describe('slaActions: what the workflow records when', () => {
  const t = (iso: string) => new Date(iso);

  it('arms for the first at-risk moment, then records AT_RISK and arms for the breach', () => {
    expect(slaActions(callOf(), t('2026-01-05T08:10:00Z'))).toEqual({ record: [], nextAt: t('2026-01-05T08:48:00Z') });
    expect(slaActions(callOf(), t('2026-01-05T08:48:00Z'))).toEqual({
      record: [{ kind: 'AT_RISK', target: 'FIRST_RESPONSE', dueAt: DUE }],
      nextAt: t('2026-01-05T09:00:00Z'),
    });
    const atRisk: ServiceCallEvent = { type: 'SlaAtRisk', data: { target: 'FIRST_RESPONSE', dueAt: DUE, at: '2026-01-05T08:48:00Z' } };
    expect(slaActions(callOf(atRisk), t('2026-01-05T08:48:00Z'))).toEqual({ record: [], nextAt: t('2026-01-05T09:00:00Z') });
    expect(slaActions(callOf(atRisk), t('2026-01-05T09:00:00Z')).record).toEqual([{ kind: 'BREACHED', target: 'FIRST_RESPONSE', dueAt: DUE }]);
  });

  it('a late look (the worker was down) records the breaches alone, not the at-risk states before them', () => {
    expect(slaActions(callOf(), t('2026-01-05T12:30:00Z'))).toEqual({
      record: [
        { kind: 'BREACHED', target: 'FIRST_RESPONSE', dueAt: DUE },
        { kind: 'BREACHED', target: 'RESOLUTION', dueAt: '2026-01-05T12:00:00.000Z' },
      ],
      nextAt: null,
    });
  });

  it('a first response in time is MET; the resolution clock goes on', () => {
    const started: ServiceCallEvent = { type: 'StepStarted', data: { phaseKey: 'intake', stepKey: 'record-complaint', by: 'apikey:agent', at: '2026-01-05T08:20:00.000Z' } };
    expect(slaActions(callOf(started), t('2026-01-05T08:30:00Z'))).toEqual({
      record: [{ kind: 'MET', target: 'FIRST_RESPONSE', dueAt: DUE }],
      nextAt: t('2026-01-05T11:12:00Z'),
    });
    const met: ServiceCallEvent = { type: 'SlaMet', data: { target: 'FIRST_RESPONSE', dueAt: DUE, at: '2026-01-05T08:30:00.000Z' } };
    expect(slaActions(callOf(started, met), t('2026-01-05T08:30:00Z')).record).toEqual([]);
  });

  it('no timer while paused; the pause moves the due times out', () => {
    const waiting: ServiceCallEvent = { type: 'WaitingForCustomer', data: { reason: 'photos', by: 'apikey:agent', at: '2026-01-05T08:30:00.000Z' } };
    expect(slaActions(callOf(waiting), t('2026-01-05T09:30:00Z'))).toEqual({ record: [], nextAt: null });
    const back: ServiceCallEvent = { type: 'CustomerResponded', data: { by: 'apikey:agent', at: '2026-01-05T09:30:00.000Z' } };
    // paused one hour: first response at risk at 09:48, due at 10:00
    expect(slaActions(callOf(waiting, back), t('2026-01-05T09:30:00Z'))).toEqual({ record: [], nextAt: t('2026-01-05T09:48:00Z') });
  });

  it('resolving in time records MET for both targets and arms nothing', () => {
    const resolved: ServiceCallEvent = { type: 'ServiceCallResolved', data: { at: '2026-01-05T08:40:00.000Z' } };
    expect(slaActions(callOf(resolved), t('2026-01-05T08:40:00Z'))).toEqual({
      record: [
        { kind: 'MET', target: 'FIRST_RESPONSE', dueAt: DUE },
        { kind: 'MET', target: 'RESOLUTION', dueAt: '2026-01-05T12:00:00.000Z' },
      ],
      nextAt: null,
    });
  });
});

describe('callSla reflects what the workflow recorded', () => {
  it('a recorded breach stays BREACHED, also once resolved', () => {
    const breached: ServiceCallEvent = { type: 'SlaBreached', data: { target: 'FIRST_RESPONSE', dueAt: DUE, at: DUE } };
    const responded: ServiceCallEvent = { type: 'NoteAdded', data: { noteId: 'n', kind: 'CUSTOMER_MEETING', text: 'met', author: 'apikey:agent', at: '2026-01-05T08:10:00.000Z' } };
    // the clock alone would say ON_TRACK (a first response at 08:10), the record says otherwise
    expect(callSla(callOf(responded), t('2026-01-05T09:10:00Z')).state).toBe('ON_TRACK');
    expect(callSla(callOf(responded, breached), t('2026-01-05T09:10:00Z')).state).toBe('BREACHED');
    const resolved: ServiceCallEvent = { type: 'ServiceCallResolved', data: { at: '2026-01-05T09:20:00.000Z' } };
    expect(callSla(callOf(responded, breached, resolved), t('2026-01-05T10:00:00Z')).state).toBe('BREACHED');
  });

  it('an AT_RISK recorded for the due time the call still has shows AT_RISK', () => {
    const atRisk: ServiceCallEvent = { type: 'SlaAtRisk', data: { target: 'FIRST_RESPONSE', dueAt: DUE, at: '2026-01-05T08:48:00.000Z' } };
    expect(callSla(callOf(atRisk), t('2026-01-05T08:47:59Z')).state).toBe('AT_RISK');
    expect(callSla(callOf(), t('2026-01-05T08:47:59Z')).state).toBe('ON_TRACK');
  });

  function t(iso: string) {
    return new Date(iso);
  }
});
