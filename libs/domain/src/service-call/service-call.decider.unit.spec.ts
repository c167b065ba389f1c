import fc from 'fast-check';
import { nextProcessActions } from '../process/process-plan';
import { AUTOMATED_ACTION_NAMES } from '../process/automated-actions';
import { ProcessTemplate } from '../process/process-template';
import { validateProcessTemplateInput } from '../process/process-template.validation';
import { STANDARD_COMPLAINT } from '../process/standard-complaint.template';
import { ConflictError, NotFoundError, ValidationError } from '../shared/domain-error';
import { LIMITS } from '../shared/validation';
import { CommandContext, OpenServiceCallInput, ServiceCallCommand, WORKFLOW_ACTOR } from './service-call.commands';
import { callExists, decide, evolve, findStep, foldServiceCall, initialServiceCallState, ServiceCallState } from './service-call.decider';
import { ServiceCallEvent } from './service-call.events';
import { callSpecs } from '../testing/call-given-when-then';
import { ServiceCall } from './service-call.types';

// ---------------------------------------------------------------------------------------------
// The language of the specs: given these events, when this command, then these events (or error).
// ---------------------------------------------------------------------------------------------

const CALL_ID = 'call-0001';
const TRACKING = 'TRK-7Q4M-2XZ9';
/** when the given history happened */
const EARLIER = '2025-03-10T08:00:00.000Z';
/** when the command under test is decided */
const NOW = new Date('2025-03-10T09:00:00.000Z');
const at = NOW.toISOString();
const AGENT = 'apikey:agent-anna';
const agent: CommandContext = { now: NOW, actor: AGENT };
const workflow: CommandContext = { now: NOW, actor: WORKFLOW_ACTOR };

const given = callSpecs(agent);

// --- events -----------------------------------------------------------------------------------

function processOf(template: ProcessTemplate) {
  return {
    key: template.key,
    version: template.version,
    phases: template.phases.map((p) => ({ key: p.key, name: p.name, steps: p.steps })),
  };
}

function opened(template: ProcessTemplate = STANDARD_COMPLAINT): ServiceCallEvent {
  return {
    type: 'ServiceCallOpened',
    data: {
      callId: CALL_ID,
      trackingCode: TRACKING,
      channel: 'PHONE',
      priority: 'NORMAL',
      category: 'billing',
      summary: 'Charged twice for the March invoice',
      customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
      receivedAt: EARLIER,
      process: processOf(template),
      at: EARLIER,
    },
  };
}

function phaseOfStep(stepKey: string): string {
  const phase = STANDARD_COMPLAINT.phases.find((p) => p.steps.some((s) => s.key === stepKey));
  if (!phase) throw new Error(`test setup: no step ${stepKey} in the standard complaint`);
  return phase.key;
}

const phaseStarted = (phaseKey: string, when = EARLIER): ServiceCallEvent => ({ type: 'PhaseStarted', data: { phaseKey, at: when } });
const stepReady = (stepKey: string, when = EARLIER): ServiceCallEvent => ({
  type: 'StepReady',
  data: { phaseKey: phaseOfStep(stepKey), stepKey, at: when },
});
const stepStarted = (stepKey: string, by = AGENT, when = EARLIER): ServiceCallEvent => ({
  type: 'StepStarted',
  data: { phaseKey: phaseOfStep(stepKey), stepKey, by, at: when },
});
const stepCompleted = (stepKey: string, by = AGENT, when = EARLIER, outcome?: string): ServiceCallEvent => ({
  type: 'StepCompleted',
  data: { phaseKey: phaseOfStep(stepKey), stepKey, outcome, by, at: when },
});
const phaseCompleted = (phaseKey: string, when = EARLIER): ServiceCallEvent => ({ type: 'PhaseCompleted', data: { phaseKey, at: when } });
const resolved = (when = EARLIER): ServiceCallEvent => ({ type: 'ServiceCallResolved', data: { at: when } });

/** A phase of the standard complaint run from start to completion (template order is a topological order). */
function phaseDone(phaseKey: string): ServiceCallEvent[] {
  const phase = STANDARD_COMPLAINT.phases.find((p) => p.key === phaseKey)!;
  return [
    phaseStarted(phaseKey),
    ...phase.steps.flatMap((s) => [stepReady(s.key), stepCompleted(s.key, s.automated ? WORKFLOW_ACTOR : AGENT)]),
    phaseCompleted(phaseKey),
  ];
}
const allPhasesDone = (): ServiceCallEvent[] => STANDARD_COMPLAINT.phases.flatMap((p) => phaseDone(p.key));

// --- commands ---------------------------------------------------------------------------------

const validInput = (): OpenServiceCallInput => ({
  channel: 'PHONE',
  category: 'billing',
  summary: 'Charged twice for the March invoice',
  customer: { name: 'Ada Lovelace', email: 'ada@example.com', phone: '+44 20 7946 0958' },
});

/** Loosely typed on purpose: clients send strings, and the domain must refuse what the types would not allow. */
type InputPatch = { [field: string]: unknown; customer?: { [field: string]: unknown } };

function openCall(patch: InputPatch = {}, process: ProcessTemplate = STANDARD_COMPLAINT): ServiceCallCommand {
  const base = validInput();
  const customer = 'customer' in patch && patch.customer === undefined ? undefined : { ...base.customer, ...patch.customer };
  const input = { ...base, ...patch, customer } as unknown as OpenServiceCallInput;
  return { type: 'OpenServiceCall', data: { callId: CALL_ID, trackingCode: TRACKING, input, process } };
}
const startPhase = (phaseKey: string): ServiceCallCommand => ({ type: 'StartPhase', data: { phaseKey } });
const markReady = (phaseKey: string, ...stepKeys: string[]): ServiceCallCommand => ({ type: 'MarkStepsReady', data: { phaseKey, stepKeys } });
const startStep = (stepKey: string): ServiceCallCommand => ({ type: 'StartStep', data: { stepKey } });
const completeStep = (stepKey: string, outcome?: string): ServiceCallCommand => ({ type: 'CompleteStep', data: { stepKey, outcome } });
const completePhase = (phaseKey: string): ServiceCallCommand => ({ type: 'CompletePhase', data: { phaseKey } });
const resolve = (): ServiceCallCommand => ({ type: 'ResolveServiceCall', data: {} });
const skipStep = (stepKey: string, reason = 'not needed for this customer'): ServiceCallCommand => ({ type: 'SkipStep', data: { stepKey, reason } });
const failStep = (stepKey: string, reason = 'part not available'): ServiceCallCommand => ({ type: 'FailStep', data: { stepKey, reason } });
const retryStep = (stepKey: string): ServiceCallCommand => ({ type: 'RetryStep', data: { stepKey } });
const addNote = (kind: string, text: string): ServiceCallCommand => ({ type: 'AddNote', data: { kind, text } as never });
const MANAGER = 'apikey:manager-mia';
const manager: CommandContext = { now: NOW, actor: MANAGER };
const stepSkipped = (stepKey: string, by = MANAGER, reason = 'not needed'): ServiceCallEvent => ({
  type: 'StepSkipped',
  data: { phaseKey: phaseOfStep(stepKey), stepKey, reason, by, at: EARLIER },
});
const stepFailed = (stepKey: string, by = AGENT, reason = 'part not available'): ServiceCallEvent => ({
  type: 'StepFailed',
  data: { phaseKey: phaseOfStep(stepKey), stepKey, reason, by, at: EARLIER },
});
const stepRetried = (stepKey: string, by = MANAGER): ServiceCallEvent => ({
  type: 'StepRetried',
  data: { phaseKey: phaseOfStep(stepKey), stepKey, by, at: EARLIER },
});

function openedEventOf(command: ServiceCallCommand, ctx: CommandContext = agent) {
  const [event, ...rest] = decide(command, initialServiceCallState, ctx);
  expect(rest).toEqual([]);
  if (event?.type !== 'ServiceCallOpened') throw new Error(`expected ServiceCallOpened, got ${event?.type}`);
  return event.data;
}

// ---------------------------------------------------------------------------------------------

describe('opening a service call', () => {
  it('records the call with trimmed fields, the tracking code and the time it was opened', () => {
    given()
      .when(
        openCall({
          channel: 'WHATSAPP',
          priority: 'HIGH',
          category: '  billing ',
          product: ' Fibre 100 ',
          region: '\tNorth ',
          summary: '  Charged twice for the March invoice  ',
          description: '  The invoice of 3 March was debited twice.\n',
          customer: {
            name: '  Ada Lovelace ',
            email: '  Ada.Lovelace@Example.COM ',
            phone: ' +44 20 7946 0958 ',
            address: ' 12 St James’s Square, London ',
            preferredChannel: 'EMAIL',
          },
          receivedBy: ' agent-7 ',
          receivedAt: '2025-03-10T08:30:00+01:00',
        }),
      )
      .then([
        {
          type: 'ServiceCallOpened',
          data: {
            callId: CALL_ID,
            trackingCode: TRACKING,
            channel: 'WHATSAPP',
            priority: 'HIGH',
            category: 'billing',
            product: 'Fibre 100',
            region: 'North',
            summary: 'Charged twice for the March invoice',
            description: 'The invoice of 3 March was debited twice.',
            customer: {
              name: 'Ada Lovelace',
              email: 'ada.lovelace@example.com',
              phone: '+44 20 7946 0958',
              address: '12 St James’s Square, London',
              preferredChannel: 'EMAIL',
            },
            receivedBy: 'agent-7',
            receivedAt: '2025-03-10T07:30:00.000Z',
            process: processOf(STANDARD_COMPLAINT),
            at,
          },
        },
      ]);
  });

  it('gives the call NORMAL priority when none is asked for', () => {
    expect(openedEventOf(openCall()).priority).toBe('NORMAL');
    expect(openedEventOf(openCall({ priority: null })).priority).toBe('NORMAL');
  });

  it('takes the call as received now when the client does not say when', () => {
    const data = openedEventOf(openCall());
    expect(data.receivedAt).toBe(at);
    expect(data.at).toBe(at);
  });

  it('keeps a receivedAt in the past (a call entered after the fact)', () => {
    expect(openedEventOf(openCall({ receivedAt: '2025-03-07T16:45:00Z' })).receivedAt).toBe('2025-03-07T16:45:00.000Z');
  });

  it('tolerates a client clock up to a minute ahead, and no more', () => {
    const oneMinuteAhead = new Date(NOW.getTime() + 60_000).toISOString();
    expect(openedEventOf(openCall({ receivedAt: oneMinuteAhead })).receivedAt).toBe(oneMinuteAhead);
    given()
      .when(openCall({ receivedAt: new Date(NOW.getTime() + 60_001).toISOString() }))
      .thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field: 'receivedAt', message: /future/ });
  });

  it('refuses a receivedAt in the future', () => {
    given()
      .when(openCall({ receivedAt: '2025-03-11T09:00:00Z' }))
      .thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field: 'receivedAt', message: /future/ });
  });

  it('leaves out optional fields that are blank', () => {
    const data = openedEventOf(openCall({ description: '   ', product: '', customer: { email: ' ', phone: '', address: '\n' } }));
    expect(data.description).toBeUndefined();
    expect(data.product).toBeUndefined();
    expect(data.customer).toEqual({ name: 'Ada Lovelace' });
  });

  it('accepts text exactly at its limit, measured after trimming', () => {
    const summary = 's'.repeat(LIMITS.summary);
    expect(openedEventOf(openCall({ summary: `  ${summary}  ` })).summary).toBe(summary);
    expect(openedEventOf(openCall({ description: 'd'.repeat(LIMITS.longText) })).description).toHaveLength(LIMITS.longText);
  });

  it('copies the process it runs into the event, so the call keeps that version', () => {
    const data = openedEventOf(openCall());
    expect(data.process.key).toBe('standard-complaint');
    expect(data.process.version).toBe(1);
    expect(data.process.phases.map((p) => p.key)).toEqual(['intake', 'diagnosis', 'resolution']);
    expect(data.process.phases[1]!.steps.find((s) => s.key === 'identify-cause')!.dependsOn).toEqual([
      'review-customer-history',
      'inspect-problem',
    ]);
  });

  it('runs whatever process it is given, not only the standard complaint', () => {
    const callback: ProcessTemplate = {
      ...STANDARD_COMPLAINT,
      key: 'callback',
      version: 3,
      phases: [{ key: 'call-back', name: 'Call back', steps: [{ key: 'ring', name: 'Ring the customer', dependsOn: [], automated: false }] }],
    };
    expect(openedEventOf(openCall({}, callback)).process).toEqual({
      key: 'callback',
      version: 3,
      phases: [{ key: 'call-back', name: 'Call back', steps: [{ key: 'ring', name: 'Ring the customer', dependsOn: [], automated: false }] }],
    });
  });

  it('refuses to open the same call twice', () => {
    given(opened()).when(openCall()).thenThrows(ConflictError, { code: 'CONFLICT', message: new RegExp(CALL_ID) });
  });

  describe('refuses bad input, naming the field', () => {
    const long = (n: number) => 'x'.repeat(n + 1);
    const cases: [string, InputPatch, string][] = [
      ['an empty customer name', { customer: { name: '' } }, 'customer.name'],
      ['a customer name of spaces', { customer: { name: '   ' } }, 'customer.name'],
      ['a customer name of tabs and newlines', { customer: { name: '\t\n ' } }, 'customer.name'],
      ['a missing customer name', { customer: { name: undefined } }, 'customer.name'],
      ['a customer name that is not text', { customer: { name: 42 } }, 'customer.name'],
      ['no customer at all', { customer: undefined }, 'customer.name'],
      ['an oversized customer name', { customer: { name: long(LIMITS.name) } }, 'customer.name'],
      ['an oversized customer address', { customer: { address: long(LIMITS.summary) } }, 'customer.address'],
      ['an e-mail without @', { customer: { email: 'ada.example.com' } }, 'customer.email'],
      ['an e-mail without a domain', { customer: { email: 'ada@' } }, 'customer.email'],
      ['an e-mail without a local part', { customer: { email: '@example.com' } }, 'customer.email'],
      ['an e-mail without a dot in the domain', { customer: { email: 'ada@localhost' } }, 'customer.email'],
      ['an e-mail with a space', { customer: { email: 'ada lovelace@example.com' } }, 'customer.email'],
      ['an e-mail with two @', { customer: { email: 'ada@@example.com' } }, 'customer.email'],
      ['a phone number of words', { customer: { phone: 'call me maybe' } }, 'customer.phone'],
      ['a phone number with too few digits (5)', { customer: { phone: '12 345' } }, 'customer.phone'],
      ['a phone number with too many digits (16)', { customer: { phone: '+1234 5678 9012 3456' } }, 'customer.phone'],
      ['a phone number with letters', { customer: { phone: '+49 30 CALLNOW' } }, 'customer.phone'],
      ['a phone number with a second +', { customer: { phone: '+49 +30 1234567' } }, 'customer.phone'],
      ['an empty summary', { summary: '' }, 'summary'],
      ['a blank summary', { summary: '  \n ' }, 'summary'],
      ['a missing summary', { summary: undefined }, 'summary'],
      ['an oversized summary', { summary: long(LIMITS.summary) }, 'summary'],
      ['an oversized description', { description: long(LIMITS.longText) }, 'description'],
      ['a blank category', { category: ' ' }, 'category'],
      ['an oversized category', { category: long(LIMITS.shortText) }, 'category'],
      ['an oversized product', { product: long(LIMITS.shortText) }, 'product'],
      ['an oversized region', { region: long(LIMITS.shortText) }, 'region'],
      ['an oversized receivedBy', { receivedBy: long(LIMITS.shortText) }, 'receivedBy'],
      ['an unknown channel', { channel: 'FAX' }, 'channel'],
      ['a channel in the wrong case', { channel: 'phone' }, 'channel'],
      ['a missing channel', { channel: undefined }, 'channel'],
      ['an unknown priority', { priority: 'CRITICAL' }, 'priority'],
      ['a priority in the wrong case', { priority: 'urgent' }, 'priority'],
      ['an unknown preferred channel', { customer: { preferredChannel: 'CARRIER_PIGEON' } }, 'customer.preferredChannel'],
      ['a receivedAt that is not a date', { receivedAt: 'yesterday' }, 'receivedAt'],
      ['an empty receivedAt', { receivedAt: '' }, 'receivedAt'],
      ['a receivedAt with month 13', { receivedAt: '2025-13-01T10:00:00Z' }, 'receivedAt'],
      ['a receivedAt on 30 February', { receivedAt: '2025-02-30T10:00:00Z' }, 'receivedAt'],
      ['a receivedAt that is a bare number', { receivedAt: '1' }, 'receivedAt'],
      ['a receivedAt in prose', { receivedAt: '10 March 2025' }, 'receivedAt'],
      ['a receivedAt without a time zone offset', { receivedAt: '2025-03-10T08:00:00' }, 'receivedAt'],
      ['a receivedAt that is not text', { receivedAt: 1741593600000 }, 'receivedAt'],
    ];

    it.each(cases)('%s', (_label, patch, field) => {
      given().when(openCall(patch)).thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field });
    });
  });
});

describe('commands on a call that does not exist', () => {
  it.each<[string, ServiceCallCommand]>([
    ['StartPhase', startPhase('intake')],
    ['MarkStepsReady', markReady('intake', 'record-complaint')],
    ['StartStep', startStep('record-complaint')],
    ['CompleteStep', completeStep('record-complaint')],
    ['CompletePhase', completePhase('intake')],
    ['ResolveServiceCall', resolve()],
  ])('%s is NOT_FOUND', (_type, command) => {
    given().when(command).thenThrows(NotFoundError, { code: 'NOT_FOUND', field: 'callId' });
  });
});

describe('unknown steps and phases', () => {
  it.each<[string, ServiceCallCommand]>([
    ['StartStep', startStep('make-coffee')],
    ['CompleteStep', completeStep('make-coffee')],
    ['MarkStepsReady', markReady('intake', 'make-coffee')],
  ])('%s of an unknown step is NOT_FOUND on stepKey', (_type, command) => {
    given(opened(), phaseStarted('intake')).when(command, workflow).thenThrows(NotFoundError, {
      code: 'NOT_FOUND',
      field: 'stepKey',
      message: /make-coffee/,
    });
  });

  it.each<[string, ServiceCallCommand]>([
    ['StartPhase', startPhase('celebration')],
    ['MarkStepsReady', markReady('celebration', 'record-complaint')],
    ['CompletePhase', completePhase('celebration')],
  ])('%s of an unknown phase is NOT_FOUND on phaseKey', (_type, command) => {
    given(opened()).when(command, workflow).thenThrows(NotFoundError, { code: 'NOT_FOUND', field: 'phaseKey', message: /celebration/ });
  });

  it('a blank step key is bad input', () => {
    given(opened(), phaseStarted('intake')).when(startStep('  ')).thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field: 'stepKey' });
  });
});

describe('starting a phase', () => {
  it('starts the first phase of a new call', () => {
    given(opened()).when(startPhase('intake'), workflow).then([{ type: 'PhaseStarted', data: { phaseKey: 'intake', at } }]);
  });

  it('starts the next phase once the one before it is complete', () => {
    given(opened(), ...phaseDone('intake'))
      .when(startPhase('diagnosis'), workflow)
      .then([{ type: 'PhaseStarted', data: { phaseKey: 'diagnosis', at } }]);
  });

  it('refuses to skip ahead of a phase that has not started', () => {
    given(opened()).when(startPhase('diagnosis'), workflow).thenThrows(ConflictError, { code: 'CONFLICT', field: 'phaseKey' });
  });

  it('refuses to start a phase while the one before it is still active', () => {
    given(opened(), phaseStarted('intake'), stepReady('record-complaint'), stepCompleted('record-complaint'))
      .when(startPhase('diagnosis'), workflow)
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'phaseKey', message: /diagnosis/ });
  });

  it('refuses to start the last phase when only the first is done', () => {
    given(opened(), ...phaseDone('intake'))
      .when(startPhase('resolution'), workflow)
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'phaseKey' });
  });

  it('changes nothing when the phase already started', () => {
    given(opened(), phaseStarted('intake')).when(startPhase('intake'), workflow).then([]);
  });

  it('changes nothing when the phase is already complete', () => {
    given(opened(), ...phaseDone('intake')).when(startPhase('intake'), workflow).then([]);
  });
});

describe('making steps ready', () => {
  it('makes a step without dependencies ready', () => {
    given(opened(), phaseStarted('intake'))
      .when(markReady('intake', 'record-complaint'), workflow)
      .then([{ type: 'StepReady', data: { phaseKey: 'intake', stepKey: 'record-complaint', at } }]);
  });

  it('makes parallel steps ready together', () => {
    given(opened(), ...phaseDone('intake'), phaseStarted('diagnosis'))
      .when(markReady('diagnosis', 'review-customer-history', 'inspect-problem'), workflow)
      .then([
        { type: 'StepReady', data: { phaseKey: 'diagnosis', stepKey: 'review-customer-history', at } },
        { type: 'StepReady', data: { phaseKey: 'diagnosis', stepKey: 'inspect-problem', at } },
      ]);
  });

  it('makes a dependent step ready once its dependency is complete', () => {
    given(opened(), phaseStarted('intake'), stepReady('record-complaint'), stepCompleted('record-complaint'))
      .when(markReady('intake', 'confirm-understanding'), workflow)
      .then([{ type: 'StepReady', data: { phaseKey: 'intake', stepKey: 'confirm-understanding', at } }]);
  });

  it('refuses a step whose dependency is not complete, naming it', () => {
    given(opened(), phaseStarted('intake'), stepReady('record-complaint'))
      .when(markReady('intake', 'confirm-understanding'), workflow)
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: /record-complaint/ });
  });

  it('refuses the whole command when one of its steps is not ready yet', () => {
    given(opened(), phaseStarted('intake'))
      .when(markReady('intake', 'record-complaint', 'confirm-understanding'), workflow)
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: /confirm-understanding/ });
  });

  it('refuses a step that waits for one of two dependencies', () => {
    given(opened(), ...phaseDone('intake'), phaseStarted('diagnosis'), stepReady('inspect-problem'), stepCompleted('inspect-problem'))
      .when(markReady('diagnosis', 'identify-cause'), workflow)
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: /waits for review-customer-history to/ });
  });

  it('skips steps that are already ready and marks only the new ones', () => {
    given(opened(), phaseStarted('intake'), stepReady('record-complaint'), stepCompleted('record-complaint'))
      .when(markReady('intake', 'record-complaint', 'confirm-understanding'), workflow)
      .then([{ type: 'StepReady', data: { phaseKey: 'intake', stepKey: 'confirm-understanding', at } }]);
  });

  it('changes nothing when every step is already ready', () => {
    given(opened(), phaseStarted('intake'), stepReady('record-complaint'))
      .when(markReady('intake', 'record-complaint'), workflow)
      .then([]);
  });

  it('marks a step ready once even when the command names it twice', () => {
    given(opened(), phaseStarted('intake'))
      .when(markReady('intake', 'record-complaint', 'record-complaint'), workflow)
      .then([{ type: 'StepReady', data: { phaseKey: 'intake', stepKey: 'record-complaint', at } }]);
  });

  it('refuses steps of a phase that is not active', () => {
    given(opened())
      .when(markReady('intake', 'record-complaint'), workflow)
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'phaseKey', message: /PENDING/ });
  });
});

describe('starting a step', () => {
  const intakeReady = [opened(), phaseStarted('intake'), stepReady('record-complaint')];

  it('takes a READY step IN_PROGRESS, recording who started it', () => {
    given(...intakeReady)
      .when(startStep('record-complaint'))
      .then([{ type: 'StepStarted', data: { phaseKey: 'intake', stepKey: 'record-complaint', by: AGENT, at } }]);
  });

  it('refuses a PENDING step, naming the dependency it waits for', () => {
    given(...intakeReady)
      .when(startStep('confirm-understanding'))
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: /confirm-understanding waits for record-complaint/ });
  });

  it('names every unmet dependency', () => {
    given(opened(), ...phaseDone('intake'), phaseStarted('diagnosis'))
      .when(startStep('identify-cause'))
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: /review-customer-history, inspect-problem/ });
  });

  it('refuses a step of a phase that has not started, naming the phase', () => {
    given(...intakeReady)
      .when(startStep('propose-solution'))
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: /resolution, which is PENDING/ });
  });

  it('refuses a step that is already IN_PROGRESS', () => {
    given(...intakeReady, stepStarted('record-complaint'))
      .when(startStep('record-complaint'))
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: /IN_PROGRESS/ });
  });

  it('refuses a step that is already COMPLETED', () => {
    given(...intakeReady, stepCompleted('record-complaint'))
      .when(startStep('record-complaint'))
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: /COMPLETED/ });
  });
});

describe('completing a step', () => {
  const intakeReady = [opened(), phaseStarted('intake'), stepReady('record-complaint')];

  it('completes a READY step directly, with its trimmed outcome', () => {
    given(...intakeReady)
      .when(completeStep('record-complaint', '  Debited twice on 3 March; wants a refund.  '))
      .then([
        {
          type: 'StepCompleted',
          data: { phaseKey: 'intake', stepKey: 'record-complaint', outcome: 'Debited twice on 3 March; wants a refund.', by: AGENT, at },
        },
      ]);
  });

  it('completes an IN_PROGRESS step', () => {
    given(...intakeReady, stepStarted('record-complaint'))
      .when(completeStep('record-complaint'))
      .then([{ type: 'StepCompleted', data: { phaseKey: 'intake', stepKey: 'record-complaint', outcome: undefined, by: AGENT, at } }]);
  });

  it('records no outcome when the outcome is blank', () => {
    given(...intakeReady)
      .when(completeStep('record-complaint', '   '))
      .then([{ type: 'StepCompleted', data: { phaseKey: 'intake', stepKey: 'record-complaint', outcome: undefined, by: AGENT, at } }]);
  });

  it('refuses an oversized outcome', () => {
    given(...intakeReady)
      .when(completeStep('record-complaint', 'o'.repeat(LIMITS.outcome + 1)))
      .thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field: 'outcome' });
  });

  it('refuses a step that is already COMPLETED', () => {
    given(...intakeReady, stepCompleted('record-complaint'))
      .when(completeStep('record-complaint'))
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: /COMPLETED/ });
  });

  it('refuses a step out of dependency order, naming what it waits for', () => {
    given(...intakeReady)
      .when(completeStep('confirm-understanding'))
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: /waits for record-complaint/ });
  });
});

describe('automated steps belong to the workflow', () => {
  const historyReviewReady = [opened(), ...phaseDone('intake'), phaseStarted('diagnosis'), stepReady('review-customer-history')];

  it('refuses a person starting an automated step', () => {
    given(...historyReviewReady)
      .when(startStep('review-customer-history'), agent)
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: /automated/ });
  });

  it('refuses a person completing an automated step', () => {
    given(...historyReviewReady, stepStarted('review-customer-history', WORKFLOW_ACTOR))
      .when(completeStep('review-customer-history', 'no earlier calls'), agent)
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: /automated/ });
  });

  it('lets the workflow start and complete it', () => {
    given(...historyReviewReady)
      .when(startStep('review-customer-history'), workflow)
      .then([{ type: 'StepStarted', data: { phaseKey: 'diagnosis', stepKey: 'review-customer-history', by: WORKFLOW_ACTOR, at } }]);
    given(...historyReviewReady, stepStarted('review-customer-history', WORKFLOW_ACTOR))
      .when(completeStep('review-customer-history', '2 earlier calls, both resolved'), workflow)
      .then([
        {
          type: 'StepCompleted',
          data: { phaseKey: 'diagnosis', stepKey: 'review-customer-history', outcome: '2 earlier calls, both resolved', by: WORKFLOW_ACTOR, at },
        },
      ]);
  });
});

describe('completing a phase', () => {
  it('completes a phase whose steps are all done', () => {
    given(opened(), phaseStarted('intake'), stepReady('record-complaint'), stepCompleted('record-complaint'), stepReady('confirm-understanding'), stepCompleted('confirm-understanding'))
      .when(completePhase('intake'), workflow)
      .then([{ type: 'PhaseCompleted', data: { phaseKey: 'intake', at } }]);
  });

  it('refuses while a step is still open', () => {
    given(opened(), phaseStarted('intake'), stepReady('record-complaint'), stepCompleted('record-complaint'), stepReady('confirm-understanding'))
      .when(completePhase('intake'), workflow)
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'phaseKey', message: /open steps/ });
  });

  it('refuses a phase that has not started', () => {
    given(opened(), ...phaseDone('intake')).when(completePhase('diagnosis'), workflow).thenThrows(ConflictError, { code: 'CONFLICT', field: 'phaseKey' });
  });

  it('changes nothing when the phase is already complete', () => {
    given(opened(), ...phaseDone('intake')).when(completePhase('intake'), workflow).then([]);
  });
});

describe('resolving the call', () => {
  it('resolves the call when every phase is complete', () => {
    given(opened(), ...allPhasesDone()).when(resolve(), workflow).then([{ type: 'ServiceCallResolved', data: { at } }]);
  });

  it('refuses while a phase is unfinished', () => {
    given(opened(), ...phaseDone('intake'), ...phaseDone('diagnosis'), phaseStarted('resolution'))
      .when(resolve(), workflow)
      .thenThrows(ConflictError, { code: 'CONFLICT', message: /unfinished phases/ });
  });

  it('refuses a call that has not started its process', () => {
    given(opened()).when(resolve(), workflow).thenThrows(ConflictError, { code: 'CONFLICT' });
  });

  it('changes nothing when the call is already resolved', () => {
    given(opened(), ...allPhasesDone(), resolved()).when(resolve(), workflow).then([]);
  });

  it.each<[string, ServiceCallCommand]>([
    ['StartPhase', startPhase('intake')],
    ['StartStep', startStep('confirm-with-customer')],
    ['CompleteStep', completeStep('confirm-with-customer')],
    ['CompletePhase', completePhase('resolution')],
  ])('refuses %s once the call is resolved', (_type, command) => {
    given(opened(), ...allPhasesDone(), resolved()).when(command, workflow).thenThrows(ConflictError, { code: 'CONFLICT', message: /RESOLVED/ });
  });

  it('resolves at once a call whose process has no phases', () => {
    const empty: ProcessTemplate = { ...STANDARD_COMPLAINT, key: 'empty', phases: [] };
    given(opened(empty)).when(resolve(), workflow).then([{ type: 'ServiceCallResolved', data: { at } }]);
  });
});

describe('skipping a step', () => {
  const intakeReady = [opened(), phaseStarted('intake'), stepReady('record-complaint')];

  it('skips a READY step with the trimmed reason and who skipped it', () => {
    given(...intakeReady)
      .when(skipStep('record-complaint', '  recorded by the shop already  '), manager)
      .then([{ type: 'StepSkipped', data: { phaseKey: 'intake', stepKey: 'record-complaint', reason: 'recorded by the shop already', by: MANAGER, at } }]);
  });

  it.each([
    ['IN_PROGRESS', [stepStarted('record-complaint')]],
    ['FAILED', [stepFailed('record-complaint')]],
    ['PENDING in the active phase (its dependencies unmet)', []],
  ])('skips a step that is %s', (_status, extra) => {
    const stepKey = extra.length ? 'record-complaint' : 'confirm-understanding';
    given(...intakeReady, ...extra)
      .when(skipStep(stepKey), manager)
      .then([{ type: 'StepSkipped', data: { phaseKey: 'intake', stepKey, reason: 'not needed for this customer', by: MANAGER, at } }]);
  });

  it('skips a step of a later phase ahead of time', () => {
    given(...intakeReady)
      .when(skipStep('offer-compensation'), manager)
      .then([{ type: 'StepSkipped', data: { phaseKey: 'resolution', stepKey: 'offer-compensation', reason: 'not needed for this customer', by: MANAGER, at } }]);
  });

  it('skips an automated step (a manager may overrule the system)', () => {
    given(opened(), ...phaseDone('intake'), phaseStarted('diagnosis'), stepReady('review-customer-history'))
      .when(skipStep('review-customer-history'), manager)
      .then([{ type: 'StepSkipped', data: { phaseKey: 'diagnosis', stepKey: 'review-customer-history', reason: 'not needed for this customer', by: MANAGER, at } }]);
  });

  it('changes nothing when the step is already SKIPPED', () => {
    given(...intakeReady, stepSkipped('record-complaint')).when(skipStep('record-complaint'), manager).then([]);
  });

  it('refuses a COMPLETED step', () => {
    given(...intakeReady, stepCompleted('record-complaint'))
      .when(skipStep('record-complaint'), manager)
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: /COMPLETED/ });
  });

  it.each(['', '   ', undefined])('refuses a blank reason (%j)', (reason) => {
    given(...intakeReady)
      .when({ type: 'SkipStep', data: { stepKey: 'record-complaint', reason: reason as string } }, manager)
      .thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field: 'reason' });
  });

  it('refuses an oversized reason', () => {
    given(...intakeReady)
      .when(skipStep('record-complaint', 'r'.repeat(LIMITS.outcome + 1)), manager)
      .thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field: 'reason' });
  });

  it('refuses an unknown step', () => {
    given(...intakeReady).when(skipStep('no-such-step'), manager).thenThrows(NotFoundError, { code: 'NOT_FOUND', field: 'stepKey' });
  });

  it('counts as done: dependents become ready and the phase can complete', () => {
    const call = foldServiceCall([...intakeReady, stepSkipped('record-complaint')]);
    if (!callExists(call)) throw new Error('no call');
    expect(nextProcessActions(call.phases)).toEqual([{ kind: 'MarkStepsReady', phaseKey: 'intake', stepKeys: ['confirm-understanding'] }]);
    given(...intakeReady, stepSkipped('record-complaint'), stepReady('confirm-understanding'), stepSkipped('confirm-understanding'))
      .when(completePhase('intake'), workflow)
      .then([{ type: 'PhaseCompleted', data: { phaseKey: 'intake', at } }]);
  });
});

describe('failing a step', () => {
  const intakeReady = [opened(), phaseStarted('intake'), stepReady('record-complaint')];

  it.each([
    ['READY', []],
    ['IN_PROGRESS', [stepStarted('record-complaint')]],
  ])('fails a %s step with the reason as its outcome', (_status, extra) => {
    given(...intakeReady, ...extra)
      .when(failStep('record-complaint', ' customer unreachable '))
      .then([{ type: 'StepFailed', data: { phaseKey: 'intake', stepKey: 'record-complaint', reason: 'customer unreachable', by: AGENT, at } }]);
  });

  it('changes nothing when the step already FAILED', () => {
    given(...intakeReady, stepFailed('record-complaint')).when(failStep('record-complaint')).then([]);
  });

  it('refuses a PENDING step, naming what it waits for', () => {
    given(...intakeReady)
      .when(failStep('confirm-understanding'))
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: /waits for record-complaint/ });
  });

  it.each([
    ['COMPLETED', stepCompleted('record-complaint')],
    ['SKIPPED', stepSkipped('record-complaint')],
  ])('refuses a %s step', (status, event) => {
    given(...intakeReady, event)
      .when(failStep('record-complaint'))
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: new RegExp(status) });
  });

  it('refuses a blank reason', () => {
    given(...intakeReady).when(failStep('record-complaint', '  ')).thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field: 'reason' });
  });

  it('lets only the system fail an automated step', () => {
    const reviewRunning = [opened(), ...phaseDone('intake'), phaseStarted('diagnosis'), stepReady('review-customer-history'), stepStarted('review-customer-history', WORKFLOW_ACTOR)];
    given(...reviewRunning)
      .when(failStep('review-customer-history'), agent)
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: /automated/ });
    given(...reviewRunning)
      .when(failStep('review-customer-history', 'read models unavailable after 5 attempts'), workflow)
      .then([
        {
          type: 'StepFailed',
          data: { phaseKey: 'diagnosis', stepKey: 'review-customer-history', reason: 'read models unavailable after 5 attempts', by: WORKFLOW_ACTOR, at },
        },
      ]);
  });

  it('holds the phase: dependents wait and the phase cannot complete', () => {
    const history = [...intakeReady, stepFailed('record-complaint')];
    const call = foldServiceCall(history);
    if (!callExists(call)) throw new Error('no call');
    expect(nextProcessActions(call.phases)).toEqual([]);
    given(...history).when(completePhase('intake'), workflow).thenThrows(ConflictError, { code: 'CONFLICT', field: 'phaseKey' });
    given(...history).when(markReady('intake', 'confirm-understanding'), workflow).thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey' });
  });
});

describe('retrying a failed step', () => {
  const failed = [opened(), phaseStarted('intake'), stepReady('record-complaint'), stepStarted('record-complaint'), stepFailed('record-complaint')];

  it('makes a FAILED step READY again', () => {
    given(...failed)
      .when(retryStep('record-complaint'), manager)
      .then([{ type: 'StepRetried', data: { phaseKey: 'intake', stepKey: 'record-complaint', by: MANAGER, at } }]);
  });

  it.each([
    ['READY', [opened(), phaseStarted('intake'), stepReady('record-complaint')]],
    ['PENDING', [opened()]],
    ['COMPLETED', [opened(), phaseStarted('intake'), stepReady('record-complaint'), stepCompleted('record-complaint')]],
  ])('refuses a step that is %s', (status, history) => {
    given(...history)
      .when(retryStep('record-complaint'), manager)
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: new RegExp(`is ${status}`) });
  });

  it('starts a new attempt: READY, no outcome, no start time, attempt + 1', () => {
    const call = foldServiceCall([...failed, stepRetried('record-complaint')]);
    if (!callExists(call)) throw new Error('no call');
    const step = call.phases[0]!.steps[0]!;
    expect(step).toMatchObject({ status: 'READY', attempt: 2, readyAt: EARLIER });
    expect(step.outcome).toBeUndefined();
    expect(step.startedAt).toBeUndefined();
    expect(step.failedAt).toBeUndefined();
    expect(nextProcessActions(call.phases)).toEqual([]);
  });

  it('an automated step retried is run again by the workflow', () => {
    const history = [
      opened(),
      ...phaseDone('intake'),
      phaseStarted('diagnosis'),
      stepReady('review-customer-history'),
      stepReady('inspect-problem'),
      stepFailed('review-customer-history', WORKFLOW_ACTOR, 'timeout'),
    ];
    const before = foldServiceCall(history);
    const after = foldServiceCall([...history, stepRetried('review-customer-history')]);
    if (!callExists(before) || !callExists(after)) throw new Error('no call');
    expect(nextProcessActions(before.phases)).toEqual([]);
    expect(nextProcessActions(after.phases)).toEqual([{ kind: 'RunAutomatedStep', phaseKey: 'diagnosis', stepKey: 'review-customer-history' }]);
  });
});

describe('notes: the interaction log', () => {
  it.each(['CUSTOMER_MEETING', 'CUSTOMER_FEEDBACK', 'INTERNAL'])('adds a %s note with author, time and an id from the version', (kind) => {
    given(opened(), phaseStarted('intake'))
      .when(addNote(kind, '  Met the customer at the shop.  '))
      .then([{ type: 'NoteAdded', data: { noteId: 'note-3', kind: kind as never, text: 'Met the customer at the shop.', author: AGENT, at } }]);
  });

  it('keeps notes in order on the call', () => {
    const call = foldServiceCall([
      opened(),
      { type: 'NoteAdded', data: { noteId: 'note-2', kind: 'INTERNAL', text: 'first', author: AGENT, at: EARLIER } },
      { type: 'NoteAdded', data: { noteId: 'note-3', kind: 'CUSTOMER_FEEDBACK', text: 'second', author: MANAGER, at: EARLIER } },
    ]);
    if (!callExists(call)) throw new Error('no call');
    expect(call.notes.map((n) => [n.id, n.kind, n.text, n.author])).toEqual([
      ['note-2', 'INTERNAL', 'first', AGENT],
      ['note-3', 'CUSTOMER_FEEDBACK', 'second', MANAGER],
    ]);
  });

  it('still takes notes once the call is resolved (feedback comes later)', () => {
    given(opened(), ...allPhasesDone(), resolved())
      .when(addNote('CUSTOMER_FEEDBACK', 'Happy with the refund'))
      .then([{ type: 'NoteAdded', data: { noteId: `note-${allPhasesDone().length + 3}`, kind: 'CUSTOMER_FEEDBACK', text: 'Happy with the refund', author: AGENT, at } }]);
  });

  it.each([
    ['a blank text', 'INTERNAL', '   ', 'text'],
    ['an oversized text', 'INTERNAL', 'x'.repeat(LIMITS.longText + 1), 'text'],
    ['an unknown kind', 'GOSSIP', 'hello', 'kind'],
  ])('refuses %s', (_case, kind, text, field) => {
    given(opened()).when(addNote(kind, text)).thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field });
  });

  it('refuses a note on a call that does not exist', () => {
    given().when(addNote('INTERNAL', 'hello')).thenThrows(NotFoundError, { code: 'NOT_FOUND', field: 'callId' });
  });

  it('reads documents written before notes existed as having none', () => {
    const { notes: _notes, ...legacy } = foldServiceCall([opened()]) as ServiceCall;
    const next = evolve(legacy as ServiceCallState, { type: 'NoteAdded', data: { noteId: 'note-2', kind: 'INTERNAL', text: 'x', author: AGENT, at: EARLIER } });
    expect(callExists(next) && next.notes).toHaveLength(1);
  });
});

describe('waiting for the customer', () => {
  const working = [opened(), phaseStarted('intake'), stepReady('record-complaint'), stepStarted('record-complaint')];

  it('pauses: WAITING_ON_CUSTOMER with the reason, and resumes IN_PROGRESS when the customer responds', () => {
    given(...working)
      .when({ type: 'WaitForCustomer', data: { reason: ' waiting for photos of the damage ' } })
      .then([{ type: 'WaitingForCustomer', data: { reason: 'waiting for photos of the damage', by: AGENT, at } }]);
    const waiting: ServiceCallEvent = { type: 'WaitingForCustomer', data: { reason: 'photos', by: AGENT, at: EARLIER } };
    given(...working, waiting).when({ type: 'CustomerResponded', data: {} }).then([{ type: 'CustomerResponded', data: { by: AGENT, at } }]);
    const call = foldServiceCall([...working, waiting, { type: 'CustomerResponded', data: { by: AGENT, at: NOW.toISOString() } }]) as ServiceCall;
    expect(call.status).toBe('IN_PROGRESS');
    expect(call.pauses).toEqual([{ reason: 'photos', from: EARLIER, to: NOW.toISOString() }]);
  });

  it('resumes OPEN when nobody has worked on the call yet', () => {
    const call = foldServiceCall([
      opened(),
      { type: 'WaitingForCustomer', data: { reason: 'photos', by: AGENT, at: EARLIER } },
      { type: 'CustomerResponded', data: { by: AGENT, at: EARLIER } },
    ]) as ServiceCall;
    expect(call.status).toBe('OPEN');
  });

  it('changes nothing when already waiting; refuses a response when not waiting; needs a reason', () => {
    const waiting: ServiceCallEvent = { type: 'WaitingForCustomer', data: { reason: 'photos', by: AGENT, at: EARLIER } };
    given(...working, waiting).when({ type: 'WaitForCustomer', data: { reason: 'again' } }).then([]);
    given(...working).when({ type: 'CustomerResponded', data: {} }).thenThrows(ConflictError, { code: 'CONFLICT', message: /not WAITING_ON_CUSTOMER/ });
    given(...working).when({ type: 'WaitForCustomer', data: { reason: ' ' } }).thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field: 'reason' });
  });

  it('people keep working steps while the call waits; the call stays WAITING_ON_CUSTOMER', () => {
    const call = foldServiceCall([
      opened(),
      phaseStarted('intake'),
      stepReady('record-complaint'),
      { type: 'WaitingForCustomer', data: { reason: 'photos', by: AGENT, at: EARLIER } },
      stepCompleted('record-complaint'),
    ]) as ServiceCall;
    expect(call.status).toBe('WAITING_ON_CUSTOMER');
  });
});

describe('escalation', () => {
  it('escalates with the reason; a person escalates by hand, the system automatically', () => {
    given(opened()).when({ type: 'EscalateServiceCall', data: { reason: 'customer threatens to cancel' } }).then([
      { type: 'ServiceCallEscalated', data: { reason: 'customer threatens to cancel', by: AGENT, automatic: false, at } },
    ]);
    given(opened()).when({ type: 'EscalateServiceCall', data: { reason: 'resolution SLA breached' } }, workflow).then([
      { type: 'ServiceCallEscalated', data: { reason: 'resolution SLA breached', by: WORKFLOW_ACTOR, automatic: true, at } },
    ]);
    const call = foldServiceCall([opened(), { type: 'ServiceCallEscalated', data: { reason: 'r', by: AGENT, automatic: false, at: EARLIER } }]) as ServiceCall;
    expect(call).toMatchObject({ escalated: true, escalations: [{ reason: 'r', by: AGENT, automatic: false, at: EARLIER }] });
    expect((foldServiceCall([opened()]) as ServiceCall).escalated).toBe(false);
  });
});

describe('the complaint record and resolving now', () => {
  const future = '2025-03-20T12:00:00.000Z';
  const record = { agreedSolution: ' Refund the second debit ', implemented: false, promisedBy: future, compensation: { kind: 'voucher', amount: 20.005, currency: 'eur' }, rootCause: 'duplicate batch run', preventionSuggestion: 'idempotent billing runs' };

  it('records the agreed solution, the promise, compensation, cause and prevention', () => {
    given(opened()).when({ type: 'RecordResolution', data: { resolution: record } }).then([
      {
        type: 'ResolutionRecorded',
        data: {
          agreedSolution: 'Refund the second debit',
          implemented: false,
          promisedBy: future,
          compensation: { kind: 'voucher', amount: 20.01, currency: 'EUR' },
          rootCause: 'duplicate batch run',
          preventionSuggestion: 'idempotent billing runs',
          by: AGENT,
          at,
        },
      },
    ]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a blank solution', { agreedSolution: ' ', implemented: true }, 'agreedSolution'],
    ['no implemented flag', { agreedSolution: 'x' }, 'implemented'],
    ['a promise without a date', { agreedSolution: 'x', implemented: false }, 'promisedBy'],
    ['a date for a solution already carried out', { agreedSolution: 'x', implemented: true, promisedBy: future }, 'promisedBy'],
    ['a promise in the past', { agreedSolution: 'x', implemented: false, promisedBy: EARLIER }, 'promisedBy'],
    ['a malformed promise date', { agreedSolution: 'x', implemented: false, promisedBy: 'next week' }, 'promisedBy'],
    ['a compensation without kind', { agreedSolution: 'x', implemented: true, compensation: { amount: 5, currency: 'EUR' } }, 'compensation.kind'],
    ['a negative amount', { agreedSolution: 'x', implemented: true, compensation: { kind: 'refund', amount: -1, currency: 'EUR' } }, 'compensation.amount'],
    ['an amount without currency', { agreedSolution: 'x', implemented: true, compensation: { kind: 'refund', amount: 5 } }, 'compensation.currency'],
    ['a made-up currency', { agreedSolution: 'x', implemented: true, compensation: { kind: 'refund', amount: 5, currency: 'EURO' } }, 'compensation.currency'],
  ])('refuses %s', (_case, resolution, field) => {
    given(opened()).when({ type: 'RecordResolution', data: { resolution } }).thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field });
  });

  it('resolves now: records, skips what is open, completes the active phase, skips later phases, resolves early', () => {
    const history = [opened(), ...phaseDone('intake'), phaseStarted('diagnosis'), stepReady('review-customer-history'), stepReady('inspect-problem'), stepCompleted('review-customer-history', WORKFLOW_ACTOR)];
    const resolution = { agreedSolution: 'Replaced the router on the spot', implemented: true };
    given(...history)
      .when({ type: 'ResolveServiceCall', data: { resolution } }, manager)
      .then([
        { type: 'ResolutionRecorded', data: { agreedSolution: 'Replaced the router on the spot', implemented: true, by: MANAGER, at } },
        { type: 'StepSkipped', data: { phaseKey: 'diagnosis', stepKey: 'inspect-problem', reason: 'the call was resolved', by: MANAGER, at } },
        { type: 'StepSkipped', data: { phaseKey: 'diagnosis', stepKey: 'identify-cause', reason: 'the call was resolved', by: MANAGER, at } },
        { type: 'PhaseCompleted', data: { phaseKey: 'diagnosis', at } },
        { type: 'PhaseSkipped', data: { phaseKey: 'resolution', reason: 'the call was resolved', at } },
        { type: 'ServiceCallResolved', data: { at, by: MANAGER, early: true } },
      ]);
    const events = decide({ type: 'ResolveServiceCall', data: { resolution } }, foldServiceCall(history), manager);
    const call = events.reduce(evolve, foldServiceCall(history)) as ServiceCall;
    expect(call.status).toBe('RESOLVED');
    expect(call.phases.map((p) => p.status)).toEqual(['COMPLETED', 'COMPLETED', 'SKIPPED']);
    expect(call.phases[2]!.steps.every((s) => s.status === 'SKIPPED' && s.outcome === 'the call was resolved')).toBe(true);
    expect(call.resolution).toMatchObject({ agreedSolution: 'Replaced the router on the spot', implemented: true, resolvedBy: MANAGER, resolvedAt: at });
    expect(nextProcessActions(call.phases)).toEqual([{ kind: 'ResolveCall' }]);
  });

  it('resolving a call whose process is done is not early', () => {
    given(opened(), ...allPhasesDone())
      .when({ type: 'ResolveServiceCall', data: { resolution: { agreedSolution: 'done', implemented: true } } }, manager)
      .then([
        { type: 'ResolutionRecorded', data: { agreedSolution: 'done', implemented: true, by: MANAGER, at } },
        { type: 'ServiceCallResolved', data: { at, by: MANAGER, early: false } },
      ]);
  });

  it('refuses to resolve a resolved call again, but its record can still be corrected', () => {
    const history = [opened(), ...allPhasesDone(), resolved()];
    given(...history)
      .when({ type: 'ResolveServiceCall', data: { resolution: { agreedSolution: 'x', implemented: true } } }, manager)
      .thenThrows(ConflictError, { code: 'CONFLICT', message: /already RESOLVED/ });
    given(...history)
      .when({ type: 'RecordResolution', data: { resolution: { agreedSolution: 'Refund paid', implemented: true } } }, manager)
      .then([{ type: 'ResolutionRecorded', data: { agreedSolution: 'Refund paid', implemented: true, by: MANAGER, at } }]);
  });

  it('closes an open pause when the call is resolved', () => {
    const call = foldServiceCall([
      opened(),
      ...phaseDone('intake'),
      { type: 'WaitingForCustomer', data: { reason: 'photos', by: AGENT, at: EARLIER } },
      { type: 'ResolutionRecorded', data: { agreedSolution: 'x', implemented: true, by: MANAGER, at: EARLIER } },
      { type: 'PhaseSkipped', data: { phaseKey: 'diagnosis', reason: 'r', at: EARLIER } },
      { type: 'PhaseSkipped', data: { phaseKey: 'resolution', reason: 'r', at: EARLIER } },
      { type: 'ServiceCallResolved', data: { at: at, by: MANAGER, early: true } },
    ]) as ServiceCall;
    expect(call.pauses).toEqual([{ reason: 'photos', from: EARLIER, to: at }]);
  });
});

describe('feedback, closing and reopening', () => {
  const resolvedCall = [opened(), ...allPhasesDone(), resolved()];

  it('satisfied feedback closes a resolved call', () => {
    given(...resolvedCall)
      .when({ type: 'RecordFeedback', data: { feedback: { satisfied: true, score: 5, wouldBuyAgain: true, comment: ' great ' } } })
      .then([
        { type: 'FeedbackRecorded', data: { satisfied: true, score: 5, wouldBuyAgain: true, comment: 'great', by: AGENT, at } },
        { type: 'ServiceCallClosed', data: { reason: 'the customer is satisfied', by: AGENT, at } },
      ]);
  });

  it('unsatisfied feedback reopens the call into its last phase, whose steps start over', () => {
    const events = decide({ type: 'RecordFeedback', data: { feedback: { satisfied: false, score: 2 } } }, foldServiceCall(resolvedCall), agent);
    expect(events).toEqual([
      { type: 'FeedbackRecorded', data: { satisfied: false, score: 2, by: AGENT, at } },
      { type: 'ServiceCallReopened', data: { reason: 'the customer is not satisfied', phaseKey: 'resolution', by: AGENT, at } },
    ]);
    const call = events.reduce(evolve, foldServiceCall(resolvedCall)) as ServiceCall;
    expect(call).toMatchObject({ status: 'IN_PROGRESS', reopenedAt: at, feedback: [{ satisfied: false, score: 2, by: AGENT, at }] });
    expect(call.resolvedAt).toBeUndefined();
    expect(call.phases.map((p) => p.status)).toEqual(['COMPLETED', 'COMPLETED', 'ACTIVE']);
    expect(call.phases[2]!.steps.every((s) => s.status === 'PENDING' && s.attempt === 2 && s.outcome === undefined && s.completedAt === undefined)).toBe(true);
    // the process manager takes it from there, and resolves it again at the end
    expect(nextProcessActions(call.phases)).toEqual([{ kind: 'MarkStepsReady', phaseKey: 'resolution', stepKeys: ['propose-solution'] }]);
  });

  it('feedback on a closed call (the retention check-in) is only recorded', () => {
    const closed: ServiceCallEvent = { type: 'ServiceCallClosed', data: { reason: 'r', by: AGENT, at: EARLIER } };
    given(...resolvedCall, closed)
      .when({ type: 'RecordFeedback', data: { feedback: { satisfied: false } } })
      .then([{ type: 'FeedbackRecorded', data: { satisfied: false, by: AGENT, at } }]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['no satisfied flag', { score: 3 }, 'satisfied'],
    ['a score of 0', { satisfied: true, score: 0 }, 'score'],
    ['a score of 6', { satisfied: true, score: 6 }, 'score'],
    ['a fractional score', { satisfied: true, score: 3.5 }, 'score'],
    ['a wouldBuyAgain that is not a boolean', { satisfied: true, wouldBuyAgain: 'yes' }, 'wouldBuyAgain'],
  ])('refuses feedback with %s', (_case, feedback, field) => {
    given(...resolvedCall).when({ type: 'RecordFeedback', data: { feedback } }).thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field });
  });

  it('refuses feedback before the call is resolved', () => {
    given(opened()).when({ type: 'RecordFeedback', data: { feedback: { satisfied: true } } }).thenThrows(ConflictError, { code: 'CONFLICT', message: /resolved/ });
  });

  it('closes only a resolved call; reopens only a resolved or closed one', () => {
    given(...resolvedCall).when({ type: 'CloseServiceCall', data: { reason: 'no answer to the follow-up' } }, workflow).then([
      { type: 'ServiceCallClosed', data: { reason: 'no answer to the follow-up', by: WORKFLOW_ACTOR, at } },
    ]);
    given(opened()).when({ type: 'CloseServiceCall', data: { reason: 'x' } }, workflow).thenThrows(ConflictError, { code: 'CONFLICT', message: /only a RESOLVED/ });
    given(opened()).when({ type: 'ReopenServiceCall', data: { reason: 'x' } }, manager).thenThrows(ConflictError, { code: 'CONFLICT', message: /only a RESOLVED or CLOSED/ });
    given(...resolvedCall).when({ type: 'ReopenServiceCall', data: { reason: ' fault came back ' } }, manager).then([
      { type: 'ServiceCallReopened', data: { reason: 'fault came back', phaseKey: 'resolution', by: MANAGER, at } },
    ]);
  });

  it('a reopened call takes step work again, and refuses feedback until it is resolved again', () => {
    const history = [...resolvedCall, { type: 'ServiceCallReopened', data: { reason: 'r', phaseKey: 'resolution', by: MANAGER, at: EARLIER } } as ServiceCallEvent];
    given(...history).when(markReady('resolution', 'propose-solution'), workflow).then([
      { type: 'StepReady', data: { phaseKey: 'resolution', stepKey: 'propose-solution', at } },
    ]);
    given(...history).when({ type: 'RecordFeedback', data: { feedback: { satisfied: true } } }).thenThrows(ConflictError, { code: 'CONFLICT' });
  });
});

describe('contacts with the customer', () => {
  const resolvedCall = [opened(), ...allPhasesDone(), resolved()];
  const schedule = { type: 'ScheduleContact' as const, data: { contactId: 'follow-up', purpose: 'FOLLOW_UP' as const, channel: 'EMAIL' as const, scheduledFor: '2025-03-12T09:00:00Z' } };

  it('schedules a contact once per id, then records its outcome once', () => {
    given(...resolvedCall).when(schedule, workflow).then([
      { type: 'ContactScheduled', data: { contactId: 'follow-up', purpose: 'FOLLOW_UP', channel: 'EMAIL', scheduledFor: '2025-03-12T09:00:00.000Z', at } },
    ]);
    const scheduled: ServiceCallEvent = { type: 'ContactScheduled', data: { ...schedule.data, scheduledFor: '2025-03-12T09:00:00.000Z', at: EARLIER } };
    given(...resolvedCall, scheduled).when(schedule, workflow).then([]);
    given(...resolvedCall, scheduled).when({ type: 'RecordContact', data: { contactId: 'follow-up', outcome: 'SENT' } }, workflow).then([
      { type: 'CustomerContacted', data: { contactId: 'follow-up', purpose: 'FOLLOW_UP', channel: 'EMAIL', outcome: 'SENT', at } },
    ]);
    const contacted: ServiceCallEvent = { type: 'CustomerContacted', data: { contactId: 'follow-up', purpose: 'FOLLOW_UP', channel: 'EMAIL', outcome: 'SENT', at: EARLIER } };
    given(...resolvedCall, scheduled, contacted).when({ type: 'RecordContact', data: { contactId: 'follow-up', outcome: 'SENT' } }, workflow).then([]);
    const call = foldServiceCall([...resolvedCall, scheduled, contacted]) as ServiceCall;
    expect(call.contacts).toEqual([{ id: 'follow-up', purpose: 'FOLLOW_UP', channel: 'EMAIL', scheduledFor: '2025-03-12T09:00:00.000Z', sentAt: EARLIER, outcome: 'SENT' }]);
  });

  it('refuses an unknown purpose, channel or date, and a contact that was never scheduled', () => {
    given(...resolvedCall).when({ ...schedule, data: { ...schedule.data, purpose: 'SPAM' as never } }, workflow).thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field: 'purpose' });
    given(...resolvedCall).when({ ...schedule, data: { ...schedule.data, channel: 'PIGEON' as never } }, workflow).thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field: 'channel' });
    given(...resolvedCall).when({ ...schedule, data: { ...schedule.data, scheduledFor: 'soon' } }, workflow).thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field: 'scheduledFor' });
    given(...resolvedCall).when({ type: 'RecordContact', data: { contactId: 'nope', outcome: 'SENT' } }, workflow).thenThrows(NotFoundError, { code: 'NOT_FOUND', field: 'contactId' });
  });
});

describe('evolve: the call as its events describe it', () => {
  const t = (minute: number) => `2025-03-10T08:${String(minute).padStart(2, '0')}:00.000Z`;
  const foldCall = (...events: ServiceCallEvent[]): ServiceCall => {
    const state = foldServiceCall(events);
    if (!callExists(state)) throw new Error('expected the call to exist');
    return state;
  };
  const step = (call: ServiceCall, key: string) => call.phases.flatMap((p) => p.steps).find((s) => s.key === key)!;
  const phase = (call: ServiceCall, key: string) => call.phases.find((p) => p.key === key)!;

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
    const before = foldServiceCall([opened(), phaseStarted('intake'), stepReady('record-complaint')]);
    const snapshot = JSON.parse(JSON.stringify(before));
    evolve(before, stepStarted('record-complaint'));
    evolve(before, stepCompleted('record-complaint'));
    evolve(before, phaseCompleted('intake'));
    expect(before).toEqual(snapshot);
  });
});

// ---------------------------------------------------------------------------------------------
// Walking a whole process: the workflow's part is played by nextProcessActions, people complete
// the human steps. Decide + evolve must accept everything the plan proposes.
// ---------------------------------------------------------------------------------------------

interface Walk {
  call: ServiceCall;
  events: ServiceCallEvent[];
}

/**
 * Runs a call from open to its end. `pickHuman(n)` chooses which of n waiting human steps a person
 * completes next; `startFirst(key)` whether they start it before completing it.
 */
/** What happens to a step on its first attempt; later attempts always succeed. */
type Exception = 'none' | 'skip' | 'fail-then-retry' | 'fail-then-skip';

function walk(
  template: ProcessTemplate,
  pickHuman: (count: number) => number = () => 0,
  startFirst: (stepKey: string) => boolean = () => true,
  exceptionFor: (stepKey: string) => Exception = () => 'none',
): Walk {
  let state: ServiceCallState = initialServiceCallState;
  const events: ServiceCallEvent[] = [];
  let minute = 0;
  const exec = (command: ServiceCallCommand, actor: string) => {
    const produced = decide(command, state, { now: new Date(Date.parse(EARLIER) + minute++ * 60_000), actor });
    for (const event of produced) {
      state = evolve(state, event);
      events.push(event);
    }
  };
  const current = (): ServiceCall => {
    if (!callExists(state)) throw new Error('the call vanished');
    return state;
  };

  exec(openCall({}, template), AGENT);
  for (let round = 0; round < 1_000; round++) {
    const actions = nextProcessActions(current().phases);
    if (actions.some((a) => a.kind === 'ResolveCall')) {
      expect(actions).toEqual([{ kind: 'ResolveCall' }]);
      exec(resolve(), WORKFLOW_ACTOR);
      return { call: current(), events };
    }
    if (actions.length > 0) {
      for (const action of actions) {
        switch (action.kind) {
          case 'StartPhase':
            exec(startPhase(action.phaseKey), WORKFLOW_ACTOR);
            break;
          case 'MarkStepsReady':
            exec(markReady(action.phaseKey, ...action.stepKeys), WORKFLOW_ACTOR);
            break;
          case 'RunAutomatedStep': {
            const attempt = findStep(current(), action.stepKey).step.attempt;
            const exception = attempt === 1 ? exceptionFor(action.stepKey) : 'none';
            if (exception === 'skip') {
              exec(skipStep(action.stepKey), MANAGER);
              break;
            }
            exec(startStep(action.stepKey), WORKFLOW_ACTOR);
            if (exception === 'none') {
              exec(completeStep(action.stepKey, 'done by the system'), WORKFLOW_ACTOR);
              break;
            }
            exec(failStep(action.stepKey, 'out of retries'), WORKFLOW_ACTOR);
            exec(exception === 'fail-then-retry' ? retryStep(action.stepKey) : skipStep(action.stepKey), MANAGER);
            break;
          }
          case 'CompletePhase':
            exec(completePhase(action.phaseKey), WORKFLOW_ACTOR);
            break;
        }
      }
      continue;
    }
    const waiting = current()
      .phases.filter((p) => p.status === 'ACTIVE')
      .flatMap((p) => p.steps)
      .filter((s) => !s.automated && s.status === 'READY');
    if (waiting.length === 0) throw new Error(`stuck: no action and no human step waiting after ${events.length} events`);
    const step = waiting[pickHuman(waiting.length) % waiting.length]!;
    const exception = step.attempt === 1 ? exceptionFor(step.key) : 'none';
    if (exception === 'skip') {
      exec(skipStep(step.key), MANAGER);
      continue;
    }
    if (startFirst(step.key)) exec(startStep(step.key), AGENT);
    if (exception === 'none') {
      exec(completeStep(step.key, `${step.key} done`), AGENT);
      continue;
    }
    exec(failStep(step.key), AGENT);
    exec(exception === 'fail-then-retry' ? retryStep(step.key) : skipStep(step.key), MANAGER);
  }
  throw new Error('the process did not finish within 1000 rounds');
}

const describeEvent = (e: ServiceCallEvent): string => {
  switch (e.type) {
    case 'StepStarted':
    case 'StepCompleted':
      return `${e.type} ${e.data.stepKey} by ${e.data.by}`;
    case 'StepReady':
      return `${e.type} ${e.data.stepKey}`;
    case 'PhaseStarted':
    case 'PhaseCompleted':
      return `${e.type} ${e.data.phaseKey}`;
    default:
      return e.type;
  }
};

describe('the standard complaint, from first contact to RESOLVED', () => {
  it('runs phase by phase, steps in dependency order, parallel steps together', () => {
    const { call, events } = walk(STANDARD_COMPLAINT);
    expect(events.map(describeEvent)).toEqual([
      'ServiceCallOpened',
      'PhaseStarted intake',
      'StepReady record-complaint',
      `StepStarted record-complaint by ${AGENT}`,
      `StepCompleted record-complaint by ${AGENT}`,
      'StepReady confirm-understanding',
      `StepStarted confirm-understanding by ${AGENT}`,
      `StepCompleted confirm-understanding by ${AGENT}`,
      'PhaseCompleted intake',
      'PhaseStarted diagnosis',
      'StepReady review-customer-history',
      'StepReady inspect-problem',
      'StepStarted review-customer-history by workflow',
      'StepCompleted review-customer-history by workflow',
      `StepStarted inspect-problem by ${AGENT}`,
      `StepCompleted inspect-problem by ${AGENT}`,
      'StepReady identify-cause',
      `StepStarted identify-cause by ${AGENT}`,
      `StepCompleted identify-cause by ${AGENT}`,
      'PhaseCompleted diagnosis',
      'PhaseStarted resolution',
      'StepReady propose-solution',
      `StepStarted propose-solution by ${AGENT}`,
      `StepCompleted propose-solution by ${AGENT}`,
      'StepReady agree-solution',
      `StepStarted agree-solution by ${AGENT}`,
      `StepCompleted agree-solution by ${AGENT}`,
      'StepReady carry-out-solution',
      'StepReady offer-compensation',
      `StepStarted carry-out-solution by ${AGENT}`,
      `StepCompleted carry-out-solution by ${AGENT}`,
      `StepStarted offer-compensation by ${AGENT}`,
      `StepCompleted offer-compensation by ${AGENT}`,
      'StepReady confirm-with-customer',
      `StepStarted confirm-with-customer by ${AGENT}`,
      `StepCompleted confirm-with-customer by ${AGENT}`,
      'PhaseCompleted resolution',
      'ServiceCallResolved',
    ]);
    expect(call.status).toBe('RESOLVED');
    expect(call.version).toBe(events.length);
    expect(call.resolvedAt).toBe(events[events.length - 1]!.data.at);
    expect(call.phases.every((p) => p.status === 'COMPLETED' && p.startedAt! <= p.completedAt!)).toBe(true);
    const steps = call.phases.flatMap((p) => p.steps);
    expect(steps).toHaveLength(10);
    expect(steps.every((s) => s.status === 'COMPLETED' && s.readyAt! <= s.startedAt! && s.startedAt! <= s.completedAt!)).toBe(true);
    expect(steps.find((s) => s.key === 'review-customer-history')!.outcome).toBe('done by the system');
  });
});

describe('any valid process, any order of human work (property)', () => {
  /**
   * Templates a manager could define: 1-4 phases of 1-6 steps, each phase a random DAG (a step depends
   * only on steps generated before it in its phase), listed in a shuffled order so the template's order
   * is not a topological one; automated steps name a known action. Each passes the template validation,
   * and the call runs the validated definition.
   */
  const templateArb: fc.Arbitrary<ProcessTemplate> = fc
    .array(
      fc
        .array(fc.record({ deps: fc.array(fc.nat(), { maxLength: 3 }), automated: fc.boolean(), action: fc.constantFrom(...AUTOMATED_ACTION_NAMES) }), {
          minLength: 1,
          maxLength: 6,
        })
        .chain((steps) => fc.shuffledSubarray(steps.map((s, i) => ({ ...s, i })), { minLength: steps.length, maxLength: steps.length })),
      { minLength: 1, maxLength: 4 },
    )
    .map((phases) => {
      const definition = validateProcessTemplateInput({
        key: 'random',
        title: 'Random process',
        department: 'Testing',
        purpose: 'Any valid process runs to its end',
        phases: phases.map((steps, p) => ({
          key: `p${p}`,
          name: `Phase ${p}`,
          steps: steps.map((s) => ({
            key: `p${p}-s${s.i}`,
            name: `Step ${s.i}`,
            dependsOn: s.i === 0 ? [] : s.deps.map((d) => `p${p}-s${d % s.i}`),
            automated: s.automated,
            action: s.automated ? s.action : undefined,
          })),
        })),
      });
      return { ...definition, version: 1 };
    });

  it('always ends RESOLVED: phases in order, each step ready once and only after its dependencies', () => {
    fc.assert(
      fc.property(templateArb, fc.infiniteStream(fc.nat()), fc.func(fc.boolean()), (template, picks, startFirst) => {
        const iterator = picks[Symbol.iterator]();
        const { call, events } = walk(template, () => iterator.next().value as number, startFirst);

        expect(call.status).toBe('RESOLVED');
        expect(call.version).toBe(events.length);
        const startedPhases = events.flatMap((e) => (e.type === 'PhaseStarted' ? [e.data.phaseKey] : []));
        const completedPhases = events.flatMap((e) => (e.type === 'PhaseCompleted' ? [e.data.phaseKey] : []));
        expect(startedPhases).toEqual(template.phases.map((p) => p.key));
        expect(completedPhases).toEqual(template.phases.map((p) => p.key));

        const position = (type: string, stepKey: string) => events.findIndex((e) => e.type === type && 'stepKey' in e.data && e.data.stepKey === stepKey);
        for (const phase of template.phases) {
          for (const step of phase.steps) {
            const readies = events.filter((e) => e.type === 'StepReady' && e.data.stepKey === step.key);
            const completions = events.filter((e) => e.type === 'StepCompleted' && e.data.stepKey === step.key);
            expect(readies).toHaveLength(1);
            expect(completions).toHaveLength(1);
            for (const dep of step.dependsOn) expect(position('StepCompleted', dep)).toBeLessThan(position('StepReady', step.key));
            if (step.automated) expect(completions[0]!.data).toMatchObject({ by: WORKFLOW_ACTOR });
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('also ends RESOLVED when steps are skipped, or fail and are retried or skipped; dependents wait for them', () => {
    const exceptionArb = fc.func(fc.constantFrom<Exception>('none', 'none', 'skip', 'fail-then-retry', 'fail-then-skip'));
    fc.assert(
      fc.property(templateArb, fc.infiniteStream(fc.nat()), fc.func(fc.boolean()), exceptionArb, (template, picks, startFirst, exceptionFor) => {
        const iterator = picks[Symbol.iterator]();
        const { call, events } = walk(template, () => iterator.next().value as number, startFirst, exceptionFor);

        expect(call.status).toBe('RESOLVED');
        const done = (stepKey: string) =>
          events.findIndex((e) => (e.type === 'StepCompleted' || e.type === 'StepSkipped') && e.data.stepKey === stepKey);
        for (const phase of template.phases) {
          for (const step of phase.steps) {
            const final = call.phases.flatMap((p) => p.steps).find((s) => s.key === step.key)!;
            const exception = exceptionFor(step.key);
            expect(final.status).toBe(exception === 'none' || exception === 'fail-then-retry' ? 'COMPLETED' : 'SKIPPED');
            expect(final.attempt).toBe(exception === 'fail-then-retry' ? 2 : 1);
            const ready = events.findIndex((e) => e.type === 'StepReady' && e.data.stepKey === step.key);
            for (const dep of step.dependsOn) expect(done(dep)).toBeLessThan(ready);
            // nothing builds on a step while it is FAILED
            const failedAt = events.findIndex((e) => e.type === 'StepFailed' && e.data.stepKey === step.key);
            if (failedAt >= 0) {
              const dependents = phase.steps.filter((s) => s.dependsOn.includes(step.key)).map((s) => s.key);
              const healedAt = events.findIndex((e, i) => i > failedAt && (e.type === 'StepRetried' || e.type === 'StepSkipped') && e.data.stepKey === step.key);
              expect(events.slice(failedAt, healedAt).some((e) => e.type === 'StepReady' && dependents.includes(e.data.stepKey))).toBe(false);
            }
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
