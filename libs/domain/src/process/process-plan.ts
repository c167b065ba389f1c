/**
 * The rules of a running process, as pure functions over phase and step status. The decider,
 * the workflow and the read models all use these, so there is one meaning of "ready" and "complete".
 */
export const PHASE_STATUSES = ['PENDING', 'ACTIVE', 'COMPLETED', 'SKIPPED', 'CANCELLED'] as const;
export type PhaseStatus = (typeof PHASE_STATUSES)[number];
export const STEP_STATUSES = ['PENDING', 'READY', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'SKIPPED', 'CANCELLED'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export interface StepProgress {
  key: string;
  dependsOn: readonly string[];
  status: StepStatus;
  automated: boolean;
}

export interface PhaseProgress {
  key: string;
  status: PhaseStatus;
  steps: readonly StepProgress[];
}

/** A step that dependents may build on. */
export function isStepDone(status: StepStatus): boolean {
  return status === 'COMPLETED' || status === 'SKIPPED';
}

export function isPhaseDone(status: PhaseStatus): boolean {
  return status === 'COMPLETED' || status === 'SKIPPED';
}

/** Keys of the steps a step waits for that are not done yet. */
export function unmetDependencies(steps: readonly StepProgress[], stepKey: string): string[] {
  const byKey = new Map(steps.map((s) => [s.key, s]));
  const step = byKey.get(stepKey);
  if (!step) return [];
  return step.dependsOn.filter((dep) => !isStepDone(byKey.get(dep)?.status ?? 'PENDING'));
}

/** PENDING steps whose dependencies are all done: the ones to make READY now. */
export function readyStepKeys(steps: readonly StepProgress[]): string[] {
  return steps.filter((s) => s.status === 'PENDING' && unmetDependencies(steps, s.key).length === 0).map((s) => s.key);
}

/** A phase is complete when every step is done (COMPLETED or SKIPPED). An empty phase is complete. */
export function isPhaseComplete(steps: readonly StepProgress[]): boolean {
  return steps.every((s) => isStepDone(s.status));
}

/** Share of steps done, 0..1. An empty list counts as done. */
export function progressOf(steps: readonly StepProgress[]): number {
  if (steps.length === 0) return 1;
  return steps.filter((s) => isStepDone(s.status)).length / steps.length;
}

export function activePhase<P extends PhaseProgress>(phases: readonly P[]): P | undefined {
  return phases.find((p) => p.status === 'ACTIVE');
}

/** The phase to start next: the first PENDING one, provided every phase before it is done. */
export function nextPhaseToStart<P extends PhaseProgress>(phases: readonly P[]): P | undefined {
  for (const phase of phases) {
    if (isPhaseDone(phase.status)) continue;
    return phase.status === 'PENDING' ? phase : undefined;
  }
  return undefined;
}

/** The process is complete when every phase is done. */
export function isProcessComplete(phases: readonly PhaseProgress[]): boolean {
  return phases.every((p) => isPhaseDone(p.status));
}

/** What the process manager should do next, given where the call stands. */
export type ProcessAction =
  | { kind: 'StartPhase'; phaseKey: string }
  | { kind: 'MarkStepsReady'; phaseKey: string; stepKeys: string[] }
  | { kind: 'RunAutomatedStep'; phaseKey: string; stepKey: string }
  | { kind: 'CompletePhase'; phaseKey: string }
  | { kind: 'ResolveCall' };

/**
 * The next actions of a process in the given state. Applying them and feeding the resulting events
 * back in eventually reaches ResolveCall, unless a human step is waiting. Automated steps that are
 * READY or IN_PROGRESS are listed each time; the caller tracks which ones it already runs.
 */
export function nextProcessActions(phases: readonly PhaseProgress[]): ProcessAction[] {
  const active = activePhase(phases);
  if (active) {
    if (isPhaseComplete(active.steps)) return [{ kind: 'CompletePhase', phaseKey: active.key }];
    const actions: ProcessAction[] = [];
    const ready = readyStepKeys(active.steps);
    if (ready.length > 0) actions.push({ kind: 'MarkStepsReady', phaseKey: active.key, stepKeys: ready });
    for (const step of active.steps) {
      if (step.automated && (step.status === 'READY' || step.status === 'IN_PROGRESS')) {
        actions.push({ kind: 'RunAutomatedStep', phaseKey: active.key, stepKey: step.key });
      }
    }
    return actions;
  }
  const next = nextPhaseToStart(phases);
  if (next) return [{ kind: 'StartPhase', phaseKey: next.key }];
  return isProcessComplete(phases) ? [{ kind: 'ResolveCall' }] : [];
}
