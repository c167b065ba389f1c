import { activePhase, parseIsoDuration, ServiceCall } from '@app/domain';

/**
 * How long a phase is expected to take: the sum of its steps' expected durations, in ms. Undefined
 * when no step has one: a phase without expectations is never overdue (zero would make it overdue at once).
 */
export function expectedPhaseMs(steps: readonly { expectedDuration?: string }[]): number | undefined {
  let total: number | undefined;
  for (const step of steps) {
    const ms = step.expectedDuration ? parseIsoDuration(step.expectedDuration) : undefined;
    if (ms !== undefined) total = (total ?? 0) + ms;
  }
  return total;
}

/** Where a call stands in its active phase: the columns the phase board reads (all null/0 without one). */
export interface ActivePhaseLoad {
  phaseKey: string | null;
  startedAt: string | null;
  /** startedAt plus the expected duration of the phase as the call's own process copy defines it */
  dueAt: string | null;
  stepsReady: number;
  stepsInProgress: number;
  stepsFailed: number;
}

export function activePhaseLoad(call: ServiceCall): ActivePhaseLoad {
  const phase = activePhase(call.phases);
  if (!phase) return { phaseKey: null, startedAt: null, dueAt: null, stepsReady: 0, stepsInProgress: 0, stepsFailed: 0 };
  const expected = expectedPhaseMs(phase.steps);
  const started = phase.startedAt ? Date.parse(phase.startedAt) : NaN;
  const count = (status: string) => phase.steps.filter((s) => s.status === status).length;
  return {
    phaseKey: phase.key,
    startedAt: phase.startedAt ?? null,
    dueAt: expected !== undefined && Number.isFinite(started) ? new Date(started + expected).toISOString() : null,
    stepsReady: count('READY'),
    stepsInProgress: count('IN_PROGRESS'),
    stepsFailed: count('FAILED'),
  };
}
