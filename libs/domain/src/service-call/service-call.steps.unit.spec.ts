import { nextProcessActions } from '../process/process-plan';
import { WORKFLOW_ACTOR } from '../shared/actors';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../shared/domain-error';
import { LIMITS } from '../shared/validation';
import {
  AGENT,
  agent,
  at,
  completePhase,
  completeStep,
  EARLIER,
  failStep,
  given,
  intakeReady,
  intakeWorking,
  MANAGER,
  manager,
  markReady,
  opened,
  phaseDone,
  phaseStarted,
  retryStep,
  skipStep,
  startPhase,
  startStep,
  stepCompleted,
  stepFailed,
  stepReady,
  stepRetried,
  stepSkipped,
  stepStarted,
  workflow,
} from '../testing/call-fixtures';
import { ServiceCallCommand } from './service-call.commands';
import { foldServiceCall } from './service-call.evolve';
import { callExists } from './service-call.state';

// The process side of a call (service-call.steps.ts): phases, and the steps inside them.

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
    given(...intakeReady(), stepCompleted('record-complaint'))
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
    given(...intakeReady(), stepCompleted('record-complaint'))
      .when(markReady('intake', 'confirm-understanding'), workflow)
      .then([{ type: 'StepReady', data: { phaseKey: 'intake', stepKey: 'confirm-understanding', at } }]);
  });

  it('refuses a step whose dependency is not complete, naming it', () => {
    given(...intakeReady())
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
    given(...intakeReady(), stepCompleted('record-complaint'))
      .when(markReady('intake', 'record-complaint', 'confirm-understanding'), workflow)
      .then([{ type: 'StepReady', data: { phaseKey: 'intake', stepKey: 'confirm-understanding', at } }]);
  });

  it('changes nothing when every step is already ready', () => {
    given(...intakeReady())
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
  it('takes a READY step IN_PROGRESS, recording who started it', () => {
    given(...intakeReady())
      .when(startStep('record-complaint'))
      .then([{ type: 'StepStarted', data: { phaseKey: 'intake', stepKey: 'record-complaint', by: AGENT, at } }]);
  });

  it('refuses a PENDING step, naming the dependency it waits for', () => {
    given(...intakeReady())
      .when(startStep('confirm-understanding'))
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: /confirm-understanding waits for record-complaint/ });
  });

  it('names every unmet dependency', () => {
    given(opened(), ...phaseDone('intake'), phaseStarted('diagnosis'))
      .when(startStep('identify-cause'))
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: /review-customer-history, inspect-problem/ });
  });

  it('refuses a step of a phase that has not started, naming the phase', () => {
    given(...intakeReady())
      .when(startStep('propose-solution'))
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: /resolution, which is PENDING/ });
  });

  it('refuses a step that is already IN_PROGRESS', () => {
    given(...intakeWorking())
      .when(startStep('record-complaint'))
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: /IN_PROGRESS/ });
  });

  it('refuses a step that is already COMPLETED', () => {
    given(...intakeReady(), stepCompleted('record-complaint'))
      .when(startStep('record-complaint'))
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: /COMPLETED/ });
  });
});

describe('completing a step', () => {
  it('completes a READY step directly, with its trimmed outcome', () => {
    given(...intakeReady())
      .when(completeStep('record-complaint', '  Debited twice on 3 March; wants a refund.  '))
      .then([
        {
          type: 'StepCompleted',
          data: { phaseKey: 'intake', stepKey: 'record-complaint', outcome: 'Debited twice on 3 March; wants a refund.', by: AGENT, at },
        },
      ]);
  });

  it('completes an IN_PROGRESS step', () => {
    given(...intakeWorking())
      .when(completeStep('record-complaint'))
      .then([{ type: 'StepCompleted', data: { phaseKey: 'intake', stepKey: 'record-complaint', outcome: undefined, by: AGENT, at } }]);
  });

  it('records no outcome when the outcome is blank', () => {
    given(...intakeReady())
      .when(completeStep('record-complaint', '   '))
      .then([{ type: 'StepCompleted', data: { phaseKey: 'intake', stepKey: 'record-complaint', outcome: undefined, by: AGENT, at } }]);
  });

  it('refuses an oversized outcome', () => {
    given(...intakeReady())
      .when(completeStep('record-complaint', 'o'.repeat(LIMITS.outcome + 1)))
      .thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field: 'outcome' });
  });

  it('refuses a step that is already COMPLETED', () => {
    given(...intakeReady(), stepCompleted('record-complaint'))
      .when(completeStep('record-complaint'))
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: /COMPLETED/ });
  });

  it('refuses a step out of dependency order, naming what it waits for', () => {
    given(...intakeReady())
      .when(completeStep('confirm-understanding'))
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: /waits for record-complaint/ });
  });
});

describe('automated steps belong to the workflow', () => {
  const historyReviewReady = [opened(), ...phaseDone('intake'), phaseStarted('diagnosis'), stepReady('review-customer-history')];

  it('refuses a person starting an automated step', () => {
    given(...historyReviewReady)
      .when(startStep('review-customer-history'), agent)
      .thenThrows(ForbiddenError, { code: 'FORBIDDEN', field: 'stepKey', message: /automated/ });
  });

  it('refuses a person completing an automated step', () => {
    given(...historyReviewReady, stepStarted('review-customer-history', WORKFLOW_ACTOR))
      .when(completeStep('review-customer-history', 'no earlier calls'), agent)
      .thenThrows(ForbiddenError, { code: 'FORBIDDEN', field: 'stepKey', message: /automated/ });
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
    given(...intakeReady(), stepCompleted('record-complaint'), stepReady('confirm-understanding'), stepCompleted('confirm-understanding'))
      .when(completePhase('intake'), workflow)
      .then([{ type: 'PhaseCompleted', data: { phaseKey: 'intake', at } }]);
  });

  it('refuses while a step is still open', () => {
    given(...intakeReady(), stepCompleted('record-complaint'), stepReady('confirm-understanding'))
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

describe('skipping a step', () => {
  it('skips a READY step with the trimmed reason and who skipped it', () => {
    given(...intakeReady())
      .when(skipStep('record-complaint', '  recorded by the shop already  '), manager)
      .then([{ type: 'StepSkipped', data: { phaseKey: 'intake', stepKey: 'record-complaint', reason: 'recorded by the shop already', by: MANAGER, at } }]);
  });

  it.each([
    ['IN_PROGRESS', [stepStarted('record-complaint')]],
    ['FAILED', [stepFailed('record-complaint')]],
    ['PENDING in the active phase (its dependencies unmet)', []],
  ])('skips a step that is %s', (_status, extra) => {
    const stepKey = extra.length ? 'record-complaint' : 'confirm-understanding';
    given(...intakeReady(), ...extra)
      .when(skipStep(stepKey), manager)
      .then([{ type: 'StepSkipped', data: { phaseKey: 'intake', stepKey, reason: 'not needed for this customer', by: MANAGER, at } }]);
  });

  it('skips a step of a later phase ahead of time', () => {
    given(...intakeReady())
      .when(skipStep('offer-compensation'), manager)
      .then([{ type: 'StepSkipped', data: { phaseKey: 'resolution', stepKey: 'offer-compensation', reason: 'not needed for this customer', by: MANAGER, at } }]);
  });

  it('skips an automated step (a manager may overrule the system)', () => {
    given(opened(), ...phaseDone('intake'), phaseStarted('diagnosis'), stepReady('review-customer-history'))
      .when(skipStep('review-customer-history'), manager)
      .then([{ type: 'StepSkipped', data: { phaseKey: 'diagnosis', stepKey: 'review-customer-history', reason: 'not needed for this customer', by: MANAGER, at } }]);
  });

  it('changes nothing when the step is already SKIPPED', () => {
    given(...intakeReady(), stepSkipped('record-complaint')).when(skipStep('record-complaint'), manager).then([]);
  });

  it('refuses a COMPLETED step', () => {
    given(...intakeReady(), stepCompleted('record-complaint'))
      .when(skipStep('record-complaint'), manager)
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: /COMPLETED/ });
  });

  it.each(['', '   ', undefined])('refuses a blank reason (%j)', (reason) => {
    given(...intakeReady())
      .when({ type: 'SkipStep', data: { stepKey: 'record-complaint', reason: reason as string } }, manager)
      .thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field: 'reason' });
  });

  it('refuses an oversized reason', () => {
    given(...intakeReady())
      .when(skipStep('record-complaint', 'r'.repeat(LIMITS.outcome + 1)), manager)
      .thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field: 'reason' });
  });

  it('refuses an unknown step', () => {
    given(...intakeReady()).when(skipStep('no-such-step'), manager).thenThrows(NotFoundError, { code: 'NOT_FOUND', field: 'stepKey' });
  });

  it('counts as done: dependents become ready and the phase can complete', () => {
    const call = foldServiceCall([...intakeReady(), stepSkipped('record-complaint')]);
    if (!callExists(call)) throw new Error('no call');
    expect(nextProcessActions(call.phases)).toEqual([{ kind: 'MarkStepsReady', phaseKey: 'intake', stepKeys: ['confirm-understanding'] }]);
    given(...intakeReady(), stepSkipped('record-complaint'), stepReady('confirm-understanding'), stepSkipped('confirm-understanding'))
      .when(completePhase('intake'), workflow)
      .then([{ type: 'PhaseCompleted', data: { phaseKey: 'intake', at } }]);
  });
});

describe('failing a step', () => {
  it.each([
    ['READY', []],
    ['IN_PROGRESS', [stepStarted('record-complaint')]],
  ])('fails a %s step with the reason as its outcome', (_status, extra) => {
    given(...intakeReady(), ...extra)
      .when(failStep('record-complaint', ' customer unreachable '))
      .then([{ type: 'StepFailed', data: { phaseKey: 'intake', stepKey: 'record-complaint', reason: 'customer unreachable', by: AGENT, at } }]);
  });

  it('changes nothing when the step already FAILED', () => {
    given(...intakeReady(), stepFailed('record-complaint')).when(failStep('record-complaint')).then([]);
  });

  it('refuses a PENDING step, naming what it waits for', () => {
    given(...intakeReady())
      .when(failStep('confirm-understanding'))
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: /waits for record-complaint/ });
  });

  it.each([
    ['COMPLETED', stepCompleted('record-complaint')],
    ['SKIPPED', stepSkipped('record-complaint')],
  ])('refuses a %s step', (status, event) => {
    given(...intakeReady(), event)
      .when(failStep('record-complaint'))
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: new RegExp(status) });
  });

  it('refuses a blank reason', () => {
    given(...intakeReady()).when(failStep('record-complaint', '  ')).thenThrows(ValidationError, { code: 'BAD_USER_INPUT', field: 'reason' });
  });

  it('lets only the system fail an automated step', () => {
    const reviewRunning = [opened(), ...phaseDone('intake'), phaseStarted('diagnosis'), stepReady('review-customer-history'), stepStarted('review-customer-history', WORKFLOW_ACTOR)];
    given(...reviewRunning)
      .when(failStep('review-customer-history'), agent)
      .thenThrows(ForbiddenError, { code: 'FORBIDDEN', field: 'stepKey', message: /automated/ });
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
    const history = [...intakeReady(), stepFailed('record-complaint')];
    const call = foldServiceCall(history);
    if (!callExists(call)) throw new Error('no call');
    expect(nextProcessActions(call.phases)).toEqual([]);
    given(...history).when(completePhase('intake'), workflow).thenThrows(ConflictError, { code: 'CONFLICT', field: 'phaseKey' });
    given(...history).when(markReady('intake', 'confirm-understanding'), workflow).thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey' });
  });
});

describe('retrying a failed step', () => {
  const failed = [...intakeWorking(), stepFailed('record-complaint')];

  it('makes a FAILED step READY again', () => {
    given(...failed)
      .when(retryStep('record-complaint'), manager)
      .then([{ type: 'StepRetried', data: { phaseKey: 'intake', stepKey: 'record-complaint', by: MANAGER, at } }]);
  });

  it.each([
    ['READY', intakeReady()],
    ['PENDING', [opened()]],
    ['COMPLETED', [...intakeReady(), stepCompleted('record-complaint')]],
  ])('refuses a step that is %s', (status, history) => {
    given(...history)
      .when(retryStep('record-complaint'), manager)
      .thenThrows(ConflictError, { code: 'CONFLICT', field: 'stepKey', message: new RegExp(`is ${status}`) });
  });

  it('starts a new attempt: READY, no outcome, no start time, attempt + 1', () => {
    const call = foldServiceCall([...failed, stepRetried('record-complaint')]);
    if (!callExists(call)) throw new Error('no call');
    const step = call.phases[0].steps[0];
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
