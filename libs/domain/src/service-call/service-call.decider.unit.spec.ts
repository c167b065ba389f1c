import fc from 'fast-check';
import { AUTOMATED_ACTION_NAMES } from '../process/automated-actions';
import { nextProcessActions, ProcessAction } from '../process/process-plan';
import { ProcessTemplate } from '../process/process-template';
import { validateProcessTemplateInput } from '../process/process-template.validation';
import { STANDARD_COMPLAINT } from '../process/standard-complaint.template';
import { WORKFLOW_ACTOR } from '../shared/actors';
import { ConflictError, NotFoundError, ValidationError } from '../shared/domain-error';
import { LIMITS } from '../shared/validation';
import {
  AGENT,
  agent,
  at,
  CALL_ID,
  completePhase,
  completeStep,
  EARLIER,
  failStep,
  given,
  InputPatch,
  MANAGER,
  markReady,
  NOW,
  openCall,
  opened,
  processOf,
  resolve,
  retryStep,
  skipStep,
  startPhase,
  startStep,
  TRACKING,
} from '../testing/call-fixtures';
import { CommandContext, ServiceCallCommand } from './service-call.commands';
import { decide } from './service-call.decider';
import { ServiceCallEvent } from './service-call.events';
import { evolve } from './service-call.evolve';
import { callExists, findStep, initialServiceCallState, ServiceCallState } from './service-call.state';
import { ServiceCall, Step } from './service-call.types';

// decide: opening a call, commands on a call that does not exist, and whole processes run by
// decide and evolve together (the steps, aftercare, routing and SLA files have their own specs).

function openedEventOf(command: ServiceCallCommand, ctx: CommandContext = agent) {
  const [event, ...rest] = decide(command, initialServiceCallState, ctx);
  expect(rest).toEqual([]);
  if (event?.type !== 'ServiceCallOpened') throw new Error(`expected ServiceCallOpened, got ${event?.type}`);
  return event.data;
}

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
});

describe('opening a service call: when it came in, and what the event keeps', () => {
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
    expect(data.process.phases[1].steps.find((s) => s.key === 'identify-cause')!.dependsOn).toEqual([
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
});

describe('opening a service call: refuses bad input, naming the field', () => {
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

type Exec = (command: ServiceCallCommand, actor: string) => void;

function walk(
  template: ProcessTemplate,
  pickHuman: (count: number) => number = () => 0,
  startFirst: (stepKey: string) => boolean = () => true,
  exceptionFor: (stepKey: string) => Exception = () => 'none',
): Walk {
  let state: ServiceCallState = initialServiceCallState;
  const events: ServiceCallEvent[] = [];
  let minute = 0;
  const exec: Exec = (command, actor) => {
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
      for (const action of actions) playWorkflow(action, exec, current, exceptionFor);
      continue;
    }
    const waiting = current()
      .phases.filter((p) => p.status === 'ACTIVE')
      .flatMap((p) => p.steps)
      .filter((s) => !s.automated && s.status === 'READY');
    if (waiting.length === 0) throw new Error(`stuck: no action and no human step waiting after ${events.length} events`);
    playPerson(waiting[pickHuman(waiting.length) % waiting.length], exec, startFirst, exceptionFor);
  }
  throw new Error('the process did not finish within 1000 rounds');
}

/** The workflow's part: one action the plan proposes (an automated step's first attempt may meet its exception). */
function playWorkflow(action: ProcessAction, exec: Exec, current: () => ServiceCall, exceptionFor: (stepKey: string) => Exception): void {
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

/** A person's part: one waiting human step, started first or not; its first attempt may meet its exception. */
function playPerson(step: Step, exec: Exec, startFirst: (stepKey: string) => boolean, exceptionFor: (stepKey: string) => Exception): void {
  const exception = step.attempt === 1 ? exceptionFor(step.key) : 'none';
  if (exception === 'skip') {
    exec(skipStep(step.key), MANAGER);
    return;
  }
  if (startFirst(step.key)) exec(startStep(step.key), AGENT);
  if (exception === 'none') {
    exec(completeStep(step.key, `${step.key} done`), AGENT);
    return;
  }
  exec(failStep(step.key), AGENT);
  exec(exception === 'fail-then-retry' ? retryStep(step.key) : skipStep(step.key), MANAGER);
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
    expect(call.resolvedAt).toBe(events[events.length - 1].data.at);
    expect(call.phases.every((p) => p.status === 'COMPLETED' && p.startedAt! <= p.completedAt!)).toBe(true);
    const steps = call.phases.flatMap((p) => p.steps);
    expect(steps).toHaveLength(10);
    expect(steps.every((s) => s.status === 'COMPLETED' && s.readyAt! <= s.startedAt! && s.startedAt! <= s.completedAt!)).toBe(true);
    expect(steps.find((s) => s.key === 'review-customer-history')!.outcome).toBe('done by the system');
  });
});

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

describe('any valid process, any order of human work (property)', () => {
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
            if (step.automated) expect(completions[0].data).toMatchObject({ by: WORKFLOW_ACTOR });
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
