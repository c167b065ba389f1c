import { nextProcessActions } from '../process/process-plan';
import { ProcessTemplate } from '../process/process-template';
import { STANDARD_COMPLAINT } from '../process/standard-complaint.template';
import { WORKFLOW_ACTOR } from '../shared/actors';
import { ConflictError, NotFoundError, ValidationError } from '../shared/domain-error';
import { LIMITS } from '../shared/validation';
import {
  addNote,
  AGENT,
  agent,
  allPhasesDone,
  at,
  completePhase,
  completeStep,
  EARLIER,
  given,
  intakeWorking,
  MANAGER,
  manager,
  markReady,
  NOW,
  opened,
  phaseDone,
  phaseStarted,
  resolve,
  resolvedCall,
  startPhase,
  startStep,
  stepCompleted,
  stepReady,
  workflow,
} from '../testing/call-fixtures';
import { ServiceCallCommand } from './service-call.commands';
import { decide } from './service-call.decider';
import { ServiceCallEvent } from './service-call.events';
import { evolve, foldServiceCall } from './service-call.evolve';
import { callExists, ServiceCallState } from './service-call.state';
import { ServiceCall } from './service-call.types';

// Around the process (service-call.aftercare.ts): resolving, notes, waiting, escalation, the
// complaint record, feedback, closing, reopening and contacts.

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
    given(...resolvedCall()).when(resolve(), workflow).then([]);
  });

  it.each<[string, ServiceCallCommand]>([
    ['StartPhase', startPhase('intake')],
    ['StartStep', startStep('confirm-with-customer')],
    ['CompleteStep', completeStep('confirm-with-customer')],
    ['CompletePhase', completePhase('resolution')],
  ])('refuses %s once the call is resolved', (_type, command) => {
    given(...resolvedCall()).when(command, workflow).thenThrows(ConflictError, { code: 'CONFLICT', message: /RESOLVED/ });
  });

  it('resolves at once a call whose process has no phases', () => {
    const empty: ProcessTemplate = { ...STANDARD_COMPLAINT, key: 'empty', phases: [] };
    given(opened(empty)).when(resolve(), workflow).then([{ type: 'ServiceCallResolved', data: { at } }]);
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
    given(...resolvedCall())
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
  const working = intakeWorking();

  it('pauses: WAITING_ON_CUSTOMER with the reason, and resumes IN_PROGRESS when the customer responds', () => {
    given(...working)
      .when({ type: 'WaitForCustomer', data: { reason: ' waiting for photos of the damage ' } })
      .then([{ type: 'WaitingForCustomer', data: { reason: 'waiting for photos of the damage', by: AGENT, at } }]);
    const waiting: ServiceCallEvent = { type: 'WaitingForCustomer', data: { reason: 'photos', by: AGENT, at: EARLIER } };
    given(...working, waiting).when({ type: 'RecordCustomerResponse', data: {} }).then([{ type: 'CustomerResponded', data: { by: AGENT, at } }]);
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
    given(...working).when({ type: 'RecordCustomerResponse', data: {} }).thenThrows(ConflictError, { code: 'CONFLICT', message: /not WAITING_ON_CUSTOMER/ });
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

const future = '2025-03-20T12:00:00.000Z';
const record = { agreedSolution: ' Refund the second debit ', implemented: false, promisedBy: future, compensation: { kind: 'voucher', amount: 20.005, currency: 'eur' }, rootCause: 'duplicate batch run', preventionSuggestion: 'idempotent billing runs' };

describe('the complaint record', () => {
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
});

describe('resolving now', () => {
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
    expect(call.phases[2].steps.every((s) => s.status === 'SKIPPED' && s.outcome === 'the call was resolved')).toBe(true);
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
    const history = resolvedCall();
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

  it('satisfied feedback closes a resolved call', () => {
    given(...resolvedCall())
      .when({ type: 'RecordFeedback', data: { feedback: { satisfied: true, score: 5, wouldBuyAgain: true, comment: ' great ' } } })
      .then([
        { type: 'FeedbackRecorded', data: { satisfied: true, score: 5, wouldBuyAgain: true, comment: 'great', by: AGENT, at } },
        { type: 'ServiceCallClosed', data: { reason: 'the customer is satisfied', by: AGENT, at } },
      ]);
  });

  it('unsatisfied feedback reopens the call into its last phase, whose steps start over', () => {
    const events = decide({ type: 'RecordFeedback', data: { feedback: { satisfied: false, score: 2 } } }, foldServiceCall(resolvedCall()), agent);
    expect(events).toEqual([
      { type: 'FeedbackRecorded', data: { satisfied: false, score: 2, by: AGENT, at } },
      { type: 'ServiceCallReopened', data: { reason: 'the customer is not satisfied', phaseKey: 'resolution', by: AGENT, at } },
    ]);
    const call = events.reduce(evolve, foldServiceCall(resolvedCall())) as ServiceCall;
    expect(call).toMatchObject({ status: 'IN_PROGRESS', reopenedAt: at, feedback: [{ satisfied: false, score: 2, by: AGENT, at }] });
    expect(call.resolvedAt).toBeUndefined();
    expect(call.phases.map((p) => p.status)).toEqual(['COMPLETED', 'COMPLETED', 'ACTIVE']);
    expect(call.phases[2].steps.every((s) => s.status === 'PENDING' && s.attempt === 2 && s.outcome === undefined && s.completedAt === undefined)).toBe(true);
    // the process manager takes it from there, and resolves it again at the end
    expect(nextProcessActions(call.phases)).toEqual([{ kind: 'MarkStepsReady', phaseKey: 'resolution', stepKeys: ['propose-solution'] }]);
  });

  it('feedback on a closed call (the retention check-in) is only recorded', () => {
    const closed: ServiceCallEvent = { type: 'ServiceCallClosed', data: { reason: 'r', by: AGENT, at: EARLIER } };
    given(...resolvedCall(), closed)
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
    given(...resolvedCall()).when({ type: 'RecordFeedback', data: { feedback } }).thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field });
  });

  it('refuses feedback before the call is resolved', () => {
    given(opened()).when({ type: 'RecordFeedback', data: { feedback: { satisfied: true } } }).thenThrows(ConflictError, { code: 'CONFLICT', message: /resolved/ });
  });

  it('closes only a resolved call; reopens only a resolved or closed one', () => {
    given(...resolvedCall()).when({ type: 'CloseServiceCall', data: { reason: 'no answer to the follow-up' } }, workflow).then([
      { type: 'ServiceCallClosed', data: { reason: 'no answer to the follow-up', by: WORKFLOW_ACTOR, at } },
    ]);
    given(opened()).when({ type: 'CloseServiceCall', data: { reason: 'x' } }, workflow).thenThrows(ConflictError, { code: 'CONFLICT', message: /only a RESOLVED/ });
    given(opened()).when({ type: 'ReopenServiceCall', data: { reason: 'x' } }, manager).thenThrows(ConflictError, { code: 'CONFLICT', message: /only a RESOLVED or CLOSED/ });
    given(...resolvedCall()).when({ type: 'ReopenServiceCall', data: { reason: ' fault came back ' } }, manager).then([
      { type: 'ServiceCallReopened', data: { reason: 'fault came back', phaseKey: 'resolution', by: MANAGER, at } },
    ]);
  });

  it('a reopened call takes step work again, and refuses feedback until it is resolved again', () => {
    const history = [...resolvedCall(), { type: 'ServiceCallReopened', data: { reason: 'r', phaseKey: 'resolution', by: MANAGER, at: EARLIER } } as ServiceCallEvent];
    given(...history).when(markReady('resolution', 'propose-solution'), workflow).then([
      { type: 'StepReady', data: { phaseKey: 'resolution', stepKey: 'propose-solution', at } },
    ]);
    given(...history).when({ type: 'RecordFeedback', data: { feedback: { satisfied: true } } }).thenThrows(ConflictError, { code: 'CONFLICT' });
  });
});

describe('contacts with the customer', () => {
  const schedule = { type: 'ScheduleContact' as const, data: { contactId: 'follow-up', purpose: 'FOLLOW_UP' as const, channel: 'EMAIL' as const, scheduledFor: '2025-03-12T09:00:00Z' } };

  it('schedules a contact once per id, then records its outcome once', () => {
    given(...resolvedCall()).when(schedule, workflow).then([
      { type: 'ContactScheduled', data: { contactId: 'follow-up', purpose: 'FOLLOW_UP', channel: 'EMAIL', scheduledFor: '2025-03-12T09:00:00.000Z', at } },
    ]);
    const scheduled: ServiceCallEvent = { type: 'ContactScheduled', data: { ...schedule.data, scheduledFor: '2025-03-12T09:00:00.000Z', at: EARLIER } };
    given(...resolvedCall(), scheduled).when(schedule, workflow).then([]);
    given(...resolvedCall(), scheduled).when({ type: 'RecordContact', data: { contactId: 'follow-up', outcome: 'SENT' } }, workflow).then([
      { type: 'CustomerContacted', data: { contactId: 'follow-up', purpose: 'FOLLOW_UP', channel: 'EMAIL', outcome: 'SENT', at } },
    ]);
    const contacted: ServiceCallEvent = { type: 'CustomerContacted', data: { contactId: 'follow-up', purpose: 'FOLLOW_UP', channel: 'EMAIL', outcome: 'SENT', at: EARLIER } };
    given(...resolvedCall(), scheduled, contacted).when({ type: 'RecordContact', data: { contactId: 'follow-up', outcome: 'SENT' } }, workflow).then([]);
    const call = foldServiceCall([...resolvedCall(), scheduled, contacted]) as ServiceCall;
    expect(call.contacts).toEqual([{ id: 'follow-up', purpose: 'FOLLOW_UP', channel: 'EMAIL', scheduledFor: '2025-03-12T09:00:00.000Z', sentAt: EARLIER, outcome: 'SENT' }]);
  });

  it('refuses an unknown purpose, channel or date, and a contact that was never scheduled', () => {
    given(...resolvedCall()).when({ ...schedule, data: { ...schedule.data, purpose: 'SPAM' as never } }, workflow).thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field: 'purpose' });
    given(...resolvedCall()).when({ ...schedule, data: { ...schedule.data, channel: 'PIGEON' as never } }, workflow).thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field: 'channel' });
    given(...resolvedCall()).when({ ...schedule, data: { ...schedule.data, scheduledFor: 'soon' } }, workflow).thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field: 'scheduledFor' });
    given(...resolvedCall()).when({ type: 'RecordContact', data: { contactId: 'nope', outcome: 'SENT' } }, workflow).thenThrows(NotFoundError, { code: 'NOT_FOUND', field: 'contactId' });
  });
});
