import fc from 'fast-check';
import {
  isPhaseComplete,
  isProcessComplete,
  nextPhaseToStart,
  nextProcessActions,
  PhaseStatus,
  ProcessAction,
  progressOf,
  readyStepKeys,
  STEP_STATUSES,
  StepProgress,
  StepStatus,
  unmetDependencies,
} from './process-plan';
import { STANDARD_COMPLAINT } from './standard-complaint.template';

/** Written out here rather than taken from the module, so the properties check it instead of restating it. */
const DONE: ReadonlySet<StepStatus> = new Set<StepStatus>(['COMPLETED', 'SKIPPED']);
const isDone = (s: StepProgress) => DONE.has(s.status);

type MutableStep = { key: string; dependsOn: string[]; status: StepStatus; automated: boolean };
type MutablePhase = { key: string; status: PhaseStatus; steps: MutableStep[] };

// --- the standard complaint as progress, for the examples ------------------------------------

function complaint(steps: Record<string, StepStatus> = {}, phases: Record<string, PhaseStatus> = {}): MutablePhase[] {
  return STANDARD_COMPLAINT.phases.map((p) => ({
    key: p.key,
    status: phases[p.key] ?? 'PENDING',
    steps: p.steps.map((s) => ({ key: s.key, dependsOn: [...s.dependsOn], automated: s.automated, status: steps[s.key] ?? 'PENDING' })),
  }));
}
const stepsOf = (phaseKey: string, steps: Record<string, StepStatus> = {}) => complaint(steps).find((p) => p.key === phaseKey)!.steps;

describe('which steps are ready (examples)', () => {
  it('steps without dependencies are ready together', () => {
    expect(readyStepKeys(stepsOf('diagnosis'))).toEqual(['review-customer-history', 'inspect-problem']);
  });

  it('a step waits until every dependency is done', () => {
    expect(readyStepKeys(stepsOf('diagnosis', { 'review-customer-history': 'COMPLETED', 'inspect-problem': 'IN_PROGRESS' }))).toEqual([]);
    expect(unmetDependencies(stepsOf('diagnosis', { 'review-customer-history': 'COMPLETED' }), 'identify-cause')).toEqual(['inspect-problem']);
  });

  it('a SKIPPED dependency counts as done', () => {
    expect(readyStepKeys(stepsOf('diagnosis', { 'review-customer-history': 'COMPLETED', 'inspect-problem': 'SKIPPED' }))).toEqual([
      'identify-cause',
    ]);
  });

  it('a FAILED or CANCELLED dependency blocks its dependents', () => {
    const steps = stepsOf('diagnosis', { 'review-customer-history': 'FAILED', 'inspect-problem': 'CANCELLED' });
    expect(readyStepKeys(steps)).toEqual([]);
    expect(unmetDependencies(steps, 'identify-cause')).toEqual(['review-customer-history', 'inspect-problem']);
  });

  it('only PENDING steps are offered: READY and running ones are not offered again', () => {
    expect(readyStepKeys(stepsOf('diagnosis', { 'review-customer-history': 'READY', 'inspect-problem': 'IN_PROGRESS' }))).toEqual([]);
  });

  it('fans out after a shared dependency and joins again', () => {
    const afterAgreement = { 'propose-solution': 'COMPLETED', 'agree-solution': 'COMPLETED' } as const;
    expect(readyStepKeys(stepsOf('resolution', afterAgreement))).toEqual(['carry-out-solution', 'offer-compensation']);
    expect(readyStepKeys(stepsOf('resolution', { ...afterAgreement, 'carry-out-solution': 'COMPLETED', 'offer-compensation': 'READY' }))).toEqual(
      [],
    );
    expect(
      readyStepKeys(stepsOf('resolution', { ...afterAgreement, 'carry-out-solution': 'COMPLETED', 'offer-compensation': 'COMPLETED' })),
    ).toEqual(['confirm-with-customer']);
  });

  it('a dependency on a step that does not exist is never met', () => {
    const steps: StepProgress[] = [{ key: 'a', dependsOn: ['ghost'], status: 'PENDING', automated: false }];
    expect(readyStepKeys(steps)).toEqual([]);
    expect(unmetDependencies(steps, 'a')).toEqual(['ghost']);
  });

  it('an unknown step has no unmet dependencies', () => {
    expect(unmetDependencies(stepsOf('intake'), 'nope')).toEqual([]);
  });
});

describe('phase completion and progress (examples)', () => {
  it('a phase is complete when every step is COMPLETED or SKIPPED', () => {
    expect(isPhaseComplete(stepsOf('intake', { 'record-complaint': 'COMPLETED', 'confirm-understanding': 'SKIPPED' }))).toBe(true);
    expect(isPhaseComplete(stepsOf('intake', { 'record-complaint': 'COMPLETED', 'confirm-understanding': 'IN_PROGRESS' }))).toBe(false);
    expect(isPhaseComplete(stepsOf('intake', { 'record-complaint': 'COMPLETED', 'confirm-understanding': 'FAILED' }))).toBe(false);
    expect(isPhaseComplete(stepsOf('intake', { 'record-complaint': 'COMPLETED', 'confirm-understanding': 'CANCELLED' }))).toBe(false);
  });

  it('an empty phase is complete', () => {
    expect(isPhaseComplete([])).toBe(true);
  });

  it('progress is the share of steps done', () => {
    expect(progressOf(stepsOf('resolution'))).toBe(0);
    expect(progressOf(stepsOf('resolution', { 'propose-solution': 'COMPLETED', 'agree-solution': 'SKIPPED', 'carry-out-solution': 'FAILED' }))).toBe(0.4);
    expect(progressOf([])).toBe(1);
  });
});

describe('phases in order (examples)', () => {
  it('starts with the first phase', () => {
    expect(nextPhaseToStart(complaint())?.key).toBe('intake');
  });

  it('starts the next phase once those before it are done, SKIPPED ones included', () => {
    expect(nextPhaseToStart(complaint({}, { intake: 'COMPLETED' }))?.key).toBe('diagnosis');
    expect(nextPhaseToStart(complaint({}, { intake: 'SKIPPED', diagnosis: 'COMPLETED' }))?.key).toBe('resolution');
  });

  it('starts nothing while a phase is active, or when all are done', () => {
    expect(nextPhaseToStart(complaint({}, { intake: 'COMPLETED', diagnosis: 'ACTIVE' }))).toBeUndefined();
    expect(nextPhaseToStart(complaint({}, { intake: 'COMPLETED', diagnosis: 'COMPLETED', resolution: 'COMPLETED' }))).toBeUndefined();
  });

  it('the process is complete when every phase is done', () => {
    expect(isProcessComplete(complaint({}, { intake: 'COMPLETED', diagnosis: 'SKIPPED', resolution: 'COMPLETED' }))).toBe(true);
    expect(isProcessComplete(complaint({}, { intake: 'COMPLETED', diagnosis: 'COMPLETED', resolution: 'ACTIVE' }))).toBe(false);
    expect(isProcessComplete([])).toBe(true);
  });
});

describe('what the process manager does next (examples)', () => {
  it('starts the first phase of a new call', () => {
    expect(nextProcessActions(complaint())).toEqual([{ kind: 'StartPhase', phaseKey: 'intake' }]);
  });

  it('makes the first steps of a started phase ready', () => {
    expect(nextProcessActions(complaint({}, { intake: 'ACTIVE' }))).toEqual([
      { kind: 'MarkStepsReady', phaseKey: 'intake', stepKeys: ['record-complaint'] },
    ]);
  });

  it('waits for people: nothing to do while only a human step is ready', () => {
    expect(nextProcessActions(complaint({ 'record-complaint': 'READY' }, { intake: 'ACTIVE' }))).toEqual([]);
  });

  it('runs automated steps that are ready or running, beside making others ready', () => {
    const phases = complaint({ 'review-customer-history': 'READY' }, { intake: 'COMPLETED', diagnosis: 'ACTIVE' });
    expect(nextProcessActions(phases)).toEqual([
      { kind: 'MarkStepsReady', phaseKey: 'diagnosis', stepKeys: ['inspect-problem'] },
      { kind: 'RunAutomatedStep', phaseKey: 'diagnosis', stepKey: 'review-customer-history' },
    ]);
    const running = complaint({ 'review-customer-history': 'IN_PROGRESS', 'inspect-problem': 'READY' }, { intake: 'COMPLETED', diagnosis: 'ACTIVE' });
    expect(nextProcessActions(running)).toEqual([{ kind: 'RunAutomatedStep', phaseKey: 'diagnosis', stepKey: 'review-customer-history' }]);
  });

  it('completes a phase whose steps are done, then starts the next', () => {
    const intakeDone = complaint({ 'record-complaint': 'COMPLETED', 'confirm-understanding': 'COMPLETED' }, { intake: 'ACTIVE' });
    expect(nextProcessActions(intakeDone)).toEqual([{ kind: 'CompletePhase', phaseKey: 'intake' }]);
    intakeDone[0].status = 'COMPLETED';
    expect(nextProcessActions(intakeDone)).toEqual([{ kind: 'StartPhase', phaseKey: 'diagnosis' }]);
  });

  it('resolves the call when every phase is done, and at once when there are none', () => {
    expect(nextProcessActions(complaint({}, { intake: 'COMPLETED', diagnosis: 'COMPLETED', resolution: 'COMPLETED' }))).toEqual([
      { kind: 'ResolveCall' },
    ]);
    expect(nextProcessActions([])).toEqual([{ kind: 'ResolveCall' }]);
  });

  it('completes an active phase without steps', () => {
    expect(nextProcessActions([{ key: 'empty', status: 'ACTIVE', steps: [] }])).toEqual([{ kind: 'CompletePhase', phaseKey: 'empty' }]);
  });

  // exceptions, as the workflow meets them: FAILED holds the phase, SKIPPED counts as done
  const inDiagnosis = (steps: Record<string, StepStatus>) => complaint(steps, { intake: 'COMPLETED', diagnosis: 'ACTIVE' });

  it('a FAILED automated step is not run again and holds the phase; its siblings still go on', () => {
    expect(nextProcessActions(inDiagnosis({ 'review-customer-history': 'FAILED', 'inspect-problem': 'READY' }))).toEqual([]);
    expect(nextProcessActions(inDiagnosis({ 'review-customer-history': 'FAILED', 'inspect-problem': 'COMPLETED' }))).toEqual([]);
    expect(nextProcessActions(inDiagnosis({ 'review-customer-history': 'FAILED' }))).toEqual([
      { kind: 'MarkStepsReady', phaseKey: 'diagnosis', stepKeys: ['inspect-problem'] },
    ]);
  });

  it('a retried automated step (READY again) is run again', () => {
    expect(nextProcessActions(inDiagnosis({ 'review-customer-history': 'READY', 'inspect-problem': 'COMPLETED' }))).toEqual([
      { kind: 'RunAutomatedStep', phaseKey: 'diagnosis', stepKey: 'review-customer-history' },
    ]);
  });

  it('a SKIPPED step is not run and counts as done: dependents become ready, the phase completes', () => {
    expect(nextProcessActions(inDiagnosis({ 'review-customer-history': 'SKIPPED', 'inspect-problem': 'COMPLETED' }))).toEqual([
      { kind: 'MarkStepsReady', phaseKey: 'diagnosis', stepKeys: ['identify-cause'] },
    ]);
    expect(
      nextProcessActions(inDiagnosis({ 'review-customer-history': 'SKIPPED', 'inspect-problem': 'COMPLETED', 'identify-cause': 'SKIPPED' })),
    ).toEqual([{ kind: 'CompletePhase', phaseKey: 'diagnosis' }]);
  });

  it('steps skipped ahead of time are not made ready when their phase starts', () => {
    const skippedAhead = complaint({ 'record-complaint': 'SKIPPED' }, { intake: 'ACTIVE' });
    expect(nextProcessActions(skippedAhead)).toEqual([{ kind: 'MarkStepsReady', phaseKey: 'intake', stepKeys: ['confirm-understanding'] }]);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over random processes
// ---------------------------------------------------------------------------------------------

const anyStatus = fc.constantFrom(...STEP_STATUSES);
const notDoneStatus = fc.constantFrom(...STEP_STATUSES.filter((s) => !DONE.has(s)));

/**
 * A random DAG phase: step i depends only on steps before it (so there is no cycle), each step gets
 * a status from `status` (consistent with its dependencies or not), and the listing order is
 * shuffled, since the rules must not depend on it.
 */
function dagPhase(status: fc.Arbitrary<StepStatus>, prefix = 's', maxSteps = 8): fc.Arbitrary<MutableStep[]> {
  return fc
    .array(fc.record({ deps: fc.array(fc.nat(), { maxLength: 3 }), status, automated: fc.boolean() }), { maxLength: maxSteps })
    .map((raw) =>
      raw.map((r, i) => ({
        key: `${prefix}${i}`,
        dependsOn: i === 0 ? [] : [...new Set(r.deps.map((d) => `${prefix}${d % i}`))],
        status: r.status,
        automated: r.automated,
      })),
    )
    .chain((steps) => fc.shuffledSubarray(steps, { minLength: steps.length, maxLength: steps.length }));
}

const clone = (steps: readonly MutableStep[]): MutableStep[] => steps.map((s) => ({ ...s, dependsOn: [...s.dependsOn] }));

/** A phase in which no step got ahead of its dependencies: what a correct process can produce. */
const consistentPhase: fc.Arbitrary<MutableStep[]> = dagPhase(anyStatus).map((generated) => {
  const steps = clone(generated);
  const byKey = new Map(steps.map((s) => [s.key, s]));
  const order = [...steps].sort((a, b) => Number(a.key.slice(1)) - Number(b.key.slice(1)));
  for (const step of order) {
    if (!step.dependsOn.every((d) => DONE.has(byKey.get(d)!.status))) step.status = 'PENDING';
  }
  return steps;
});


describe('readyStepKeys (properties)', () => {
  it('never offers a step with an unmet dependency, nor a step that is not PENDING', () => {
    fc.assert(
      fc.property(fc.oneof(dagPhase(anyStatus), consistentPhase), (steps) => {
        const byKey = new Map(steps.map((s) => [s.key, s]));
        for (const key of readyStepKeys(steps)) {
          const step = byKey.get(key)!;
          expect(step.status).toBe('PENDING');
          for (const dep of step.dependsOn) expect(DONE.has(byKey.get(dep)!.status)).toBe(true);
        }
      }),
    );
  });

  it('offers every PENDING step whose dependencies are all done, each once, in listing order', () => {
    fc.assert(
      fc.property(fc.oneof(dagPhase(anyStatus), consistentPhase), (steps) => {
        const byKey = new Map(steps.map((s) => [s.key, s]));
        const expected = steps.filter((s) => s.status === 'PENDING' && s.dependsOn.every((d) => DONE.has(byKey.get(d)!.status))).map((s) => s.key);
        expect(readyStepKeys(steps)).toEqual(expected);
      }),
    );
  });

  it('a step is ready after any prefix of a listing exactly when all its dependencies are in that prefix', () => {
    fc.assert(
      fc.property(
        dagPhase(fc.constant('PENDING')).chain((steps) =>
          fc.tuple(fc.constant(steps), fc.shuffledSubarray(steps.map((s) => s.key), { minLength: steps.length, maxLength: steps.length })),
        ),
        ([steps, order]) => {
          for (let k = 0; k < order.length; k++) {
            const done = new Set(order.slice(0, k));
            const statusOf = (key: string): StepStatus => (done.has(key) ? 'COMPLETED' : 'PENDING');
            const phase = steps.map((s) => ({ ...s, status: statusOf(s.key) }));
            const next = steps.find((s) => s.key === order[k])!;
            expect(readyStepKeys(phase).includes(next.key)).toBe(next.dependsOn.every((d) => done.has(d)));
          }
        },
      ),
    );
  });
});

describe('isPhaseComplete and progressOf (properties)', () => {
  it('a phase is complete iff every step is COMPLETED or SKIPPED', () => {
    fc.assert(
      fc.property(dagPhase(anyStatus), (steps) => {
        expect(isPhaseComplete(steps)).toBe(steps.every(isDone));
      }),
    );
  });

  it('one step that is not done makes a finished phase incomplete', () => {
    fc.assert(
      fc.property(
        dagPhase(fc.constantFrom<StepStatus>('COMPLETED', 'SKIPPED')).filter((s) => s.length > 0),
        fc.nat(),
        notDoneStatus,
        (generated, pick, status) => {
          const steps = clone(generated);
          expect(isPhaseComplete(steps)).toBe(true);
          steps[pick % steps.length].status = status;
          expect(isPhaseComplete(steps)).toBe(false);
        },
      ),
    );
  });

  it('progress is the share of done steps, within [0, 1], and 1 exactly when the phase is complete', () => {
    fc.assert(
      fc.property(dagPhase(anyStatus), (steps) => {
        const progress = progressOf(steps);
        expect(progress).toBeGreaterThanOrEqual(0);
        expect(progress).toBeLessThanOrEqual(1);
        if (steps.length > 0) expect(progress).toBeCloseTo(steps.filter(isDone).length / steps.length, 12);
        expect(progress === 1).toBe(isPhaseComplete(steps));
      }),
    );
  });

  it('progress strictly grows when a step that was not done completes', () => {
    fc.assert(
      fc.property(
        dagPhase(anyStatus).filter((steps) => steps.some((s) => !isDone(s))),
        fc.nat(),
        fc.constantFrom<StepStatus>('COMPLETED', 'SKIPPED'),
        (generated, pick, doneStatus) => {
          const steps = clone(generated);
          const open = steps.filter((s) => !isDone(s));
          const before = progressOf(steps);
          open[pick % open.length].status = doneStatus;
          expect(progressOf(steps)).toBeGreaterThan(before);
        },
      ),
    );
  });
});

describe('working a phase in any topological order (property)', () => {
  it('reaches a complete phase, every step becoming ready exactly once and only after its dependencies', () => {
    fc.assert(
      fc.property(dagPhase(fc.constant('PENDING')), fc.gen(), (initial, g) => {
        const steps = clone(initial);
        const byKey = new Map(steps.map((s) => [s.key, s]));
        const timesReady = new Map<string, number>();
        const completedOrder: string[] = [];
        let progress = progressOf(steps);

        for (let round = 0; round <= steps.length; round++) {
          for (const key of readyStepKeys(steps)) {
            timesReady.set(key, (timesReady.get(key) ?? 0) + 1);
            byKey.get(key)!.status = 'READY';
          }
          const ready = steps.filter((s) => s.status === 'READY');
          if (ready.length === 0) break;
          // any READY step may be finished next: this walks every topological order
          const next = ready[g(fc.integer, { min: 0, max: ready.length - 1 })];
          for (const dep of next.dependsOn) expect(completedOrder).toContain(dep);
          next.status = g(fc.boolean) ? 'COMPLETED' : 'SKIPPED';
          completedOrder.push(next.key);
          const after = progressOf(steps);
          expect(after).toBeGreaterThan(progress);
          progress = after;
        }

        expect(isPhaseComplete(steps)).toBe(true);
        expect(progress).toBe(1);
        expect(completedOrder).toHaveLength(steps.length);
        expect(steps.map((s) => timesReady.get(s.key) ?? 0)).toEqual(steps.map(() => 1));
      }),
    );
  });
});

describe('driving random processes with nextProcessActions (property)', () => {
  const processArb = fc
    .nat({ max: 5 })
    .chain((phaseCount) => fc.tuple(...Array.from({ length: phaseCount }, (_, p) => dagPhase(fc.constant('PENDING'), `p${p}s`, 6))))
    .map((phases): MutablePhase[] => phases.map((steps, p) => ({ key: `p${p}`, status: 'PENDING', steps })));

  it('always ends in ResolveCall, phases completed strictly in order, never two ACTIVE at once', () => {
    fc.assert(
      fc.property(processArb, fc.gen(), (initial, g) => {
        const phases: MutablePhase[] = initial.map((p) => ({ ...p, steps: clone(p.steps) }));
        const allSteps = phases.flatMap((p) => p.steps);
        const timesReady = new Map<string, number>();
        const started: string[] = [];
        const completed: string[] = [];
        const choose = <T>(items: T[]): T => items[g(fc.integer, { min: 0, max: items.length - 1 })];
        const stepByKey = (key: string) => allSteps.find((s) => s.key === key)!;
        // each round moves at least one phase or step one status further: this bounds the run
        const maxRounds = 2 * phases.length + 3 * allSteps.length + 2;
        let resolved = false;
        const drive: Drive = { phases, stepByKey, timesReady, started, completed, coin: () => g(fc.boolean) };

        for (let round = 0; round <= maxRounds && !resolved; round++) {
          expect(phases.filter((p) => p.status === 'ACTIVE').length).toBeLessThanOrEqual(1);
          const actions: ProcessAction[] = nextProcessActions(phases);
          const active = phases.find((p) => p.status === 'ACTIVE');
          const humanWork = (active?.steps ?? []).filter((s) => !s.automated && (s.status === 'READY' || s.status === 'IN_PROGRESS'));
          if (actions.length === 0 && humanWork.length === 0) throw new Error(`stuck in round ${round}: nothing to do and no one working`);

          if (actions.length === 0 || (humanWork.length > 0 && g(fc.boolean))) {
            // a person moves one of their steps on: start it, or finish it (started or not)
            const step = choose(humanWork);
            step.status = step.status === 'READY' && g(fc.boolean) ? 'IN_PROGRESS' : 'COMPLETED';
            continue;
          }

          for (const action of actions) resolved = carryOut(action, actions, active, drive) || resolved;
        }

        expect(resolved).toBe(true);
        expect(started).toEqual(phases.map((p) => p.key));
        expect(completed).toEqual(phases.map((p) => p.key));
        expect(allSteps.every((s) => s.status === 'COMPLETED')).toBe(true);
        expect(allSteps.map((s) => timesReady.get(s.key) ?? 0)).toEqual(allSteps.map(() => 1));
      }),
      { numRuns: 200 },
    );
  });
});

/** What a driven process holds while nextProcessActions runs it. */
interface Drive {
  phases: MutablePhase[];
  stepByKey: (key: string) => MutableStep;
  timesReady: Map<string, number>;
  started: string[];
  completed: string[];
  coin: () => boolean;
}

/** Carries out one action the plan proposed, checking it was proposed only when it may be; true once the call resolves. */
function carryOut(action: ProcessAction, actions: ProcessAction[], active: MutablePhase | undefined, d: Drive): boolean {
  switch (action.kind) {
    case 'StartPhase': {
      const index = d.phases.findIndex((p) => p.key === action.phaseKey);
      expect(d.phases[index].status).toBe('PENDING');
      expect(d.phases.slice(0, index).every((p) => p.status === 'COMPLETED')).toBe(true);
      expect(d.phases.some((p) => p.status === 'ACTIVE')).toBe(false);
      d.phases[index].status = 'ACTIVE';
      d.started.push(action.phaseKey);
      return false;
    }
    case 'MarkStepsReady':
      expect(action.phaseKey).toBe(active?.key);
      expect(action.stepKeys.length).toBeGreaterThan(0);
      for (const key of action.stepKeys) {
        const step = d.stepByKey(key);
        expect(step.status).toBe('PENDING');
        expect(step.dependsOn.every((dep) => d.stepByKey(dep).status === 'COMPLETED')).toBe(true);
        step.status = 'READY';
        d.timesReady.set(key, (d.timesReady.get(key) ?? 0) + 1);
      }
      return false;
    case 'RunAutomatedStep': {
      const step = d.stepByKey(action.stepKey);
      expect(step.automated).toBe(true);
      expect(action.phaseKey).toBe(active?.key);
      // the activity may still be running the next time the plan is asked
      step.status = step.status === 'READY' && d.coin() ? 'IN_PROGRESS' : 'COMPLETED';
      return false;
    }
    case 'CompletePhase': {
      const phase = d.phases.find((p) => p.key === action.phaseKey)!;
      expect(phase.status).toBe('ACTIVE');
      expect(phase.steps.every((s) => s.status === 'COMPLETED')).toBe(true);
      phase.status = 'COMPLETED';
      d.completed.push(action.phaseKey);
      return false;
    }
    case 'ResolveCall':
      expect(actions).toEqual([{ kind: 'ResolveCall' }]);
      expect(d.phases.every((p) => p.status === 'COMPLETED')).toBe(true);
      return true;
  }
}
