import { STANDARD_COMPLAINT } from '../process/standard-complaint.template';
import { SYSTEM_ACTOR, WORKFLOW_ACTOR } from '../shared/actors';
import { SlaPolicy, validateSlaPolicy } from '../sla/sla-policy';
import { CommandContext, ServiceCallCommand } from './service-call.commands';
import { decide } from './service-call.decider';
import { evolve, foldServiceCall } from './service-call.evolve';
import { ServiceCallState } from './service-call.state';
import { ServiceCallEvent } from './service-call.events';
import { ServiceCall } from './service-call.types';

// The SLA side of a call: the policy copied when it opens, and the time of its first human response.

const NOW = new Date('2026-03-10T09:00:00.000Z');
const AGENT = 'apikey:agent-anna';
const agent: CommandContext = { now: NOW, actor: AGENT };
const POLICY: SlaPolicy = validateSlaPolicy({
  key: 'billing',
  category: 'Billing',
  firstResponseTarget: 'PT2H',
  resolutionTarget: 'P2D',
  businessHours: { timezone: 'Europe/Berlin', weekly: [{ day: 'MON', from: '09:00', to: '17:00' }] },
});

const open = (slaPolicy?: SlaPolicy): ServiceCallCommand => ({
  type: 'OpenServiceCall',
  data: {
    callId: 'call-1',
    trackingCode: 'TRK-AAAA-BBBB',
    input: { channel: 'PHONE', category: 'Billing', summary: 'Charged twice', customer: { name: 'Ada', email: 'ada@example.com' } },
    process: STANDARD_COMPLAINT,
    ...(slaPolicy ? { slaPolicy } : {}),
  },
});

function run(state: ServiceCallState, command: ServiceCallCommand, ctx: CommandContext = agent): { state: ServiceCallState; events: ServiceCallEvent[] } {
  const events = decide(command, state, ctx);
  return { state: events.reduce(evolve, state), events };
}

/** An open call whose first phase is active and its first (human) step is ready. */
function openCall(slaPolicy: SlaPolicy | undefined = POLICY): ServiceCall {
  let state = run(foldServiceCall([]), open(slaPolicy)).state;
  const phase = STANDARD_COMPLAINT.phases[0];
  state = run(state, { type: 'StartPhase', data: { phaseKey: phase.key } }, { now: NOW, actor: WORKFLOW_ACTOR }).state;
  state = run(state, { type: 'MarkStepsReady', data: { phaseKey: phase.key, stepKeys: phase.steps.filter((s) => s.dependsOn.length === 0).map((s) => s.key) } }, { now: NOW, actor: WORKFLOW_ACTOR }).state;
  return state as ServiceCall;
}

const humanStep = () => STANDARD_COMPLAINT.phases[0].steps.find((s) => !s.automated && s.dependsOn.length === 0)!.key;
const later = (minutes: number): CommandContext => ({ now: new Date(NOW.getTime() + minutes * 60_000), actor: AGENT });

describe('service call SLA: the policy snapshot', () => {
  it('ServiceCallOpened carries the policy the call was opened with, and the call keeps it', () => {
    const { events, state } = run(foldServiceCall([]), open(POLICY));
    expect(events[0].type).toBe('ServiceCallOpened');
    expect((events[0].data as { sla?: unknown }).sla).toEqual({ policy: POLICY });
    expect((state as ServiceCall).slaPolicy).toEqual(POLICY);
  });

  it('an old ServiceCallOpened without a policy folds to a call without one', () => {
    const { events, state } = run(foldServiceCall([]), open(undefined));
    expect('sla' in events[0].data).toBe(false);
    expect((state as ServiceCall).slaPolicy).toBeUndefined();
    expect((state as ServiceCall).firstRespondedAt).toBeUndefined();
  });
});

describe('service call SLA: the first response', () => {
  it('is not set by the workflow starting phases and marking steps ready', () => {
    expect(openCall().firstRespondedAt).toBeUndefined();
  });

  it('is the first step a person starts; later actions keep it', () => {
    const first = run(openCall(), { type: 'StartStep', data: { stepKey: humanStep() } }, later(5)).state as ServiceCall;
    expect(first.firstRespondedAt).toBe(later(5).now.toISOString());
    const second = run(first, { type: 'CompleteStep', data: { stepKey: humanStep() } }, later(30)).state as ServiceCall;
    expect(second.firstRespondedAt).toBe(later(5).now.toISOString());
  });

  it('a step completed by a person without starting it counts', () => {
    const state = run(openCall(), { type: 'CompleteStep', data: { stepKey: humanStep() } }, later(7)).state as ServiceCall;
    expect(state.firstRespondedAt).toBe(later(7).now.toISOString());
  });

  it('steps run by the workflow or the system do not count', () => {
    const call = openCall();
    for (const by of [WORKFLOW_ACTOR, SYSTEM_ACTOR]) {
      const started = evolve(call, { type: 'StepStarted', data: { phaseKey: call.phases[0].key, stepKey: humanStep(), by, at: later(1).now.toISOString() } });
      const completed = evolve(started, { type: 'StepCompleted', data: { phaseKey: call.phases[0].key, stepKey: humanStep(), by, at: later(2).now.toISOString() } });
      expect((completed as ServiceCall).firstRespondedAt).toBeUndefined();
    }
  });

  it('a CUSTOMER_MEETING note counts; INTERNAL and CUSTOMER_FEEDBACK notes do not', () => {
    let state: ServiceCallState = openCall();
    state = run(state, { type: 'AddNote', data: { kind: 'INTERNAL', text: 'checking the invoice' } }, later(1)).state;
    state = run(state, { type: 'AddNote', data: { kind: 'CUSTOMER_FEEDBACK', text: 'customer is unhappy' } }, later(2)).state;
    expect((state as ServiceCall).firstRespondedAt).toBeUndefined();
    state = run(state, { type: 'AddNote', data: { kind: 'CUSTOMER_MEETING', text: 'called the customer back' } }, later(3)).state;
    expect((state as ServiceCall).firstRespondedAt).toBe(later(3).now.toISOString());
    expect((state as ServiceCall).notes).toHaveLength(3);
  });
});
