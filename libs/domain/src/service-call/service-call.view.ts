import { progressOf } from '../process/process-plan';
import { Phase, ServiceCall } from './service-call.types';

/** Derived figures shown to users; computed, never stored in events. */
export function phaseProgress(phase: Phase): number {
  return progressOf(phase.steps);
}

export function callProgress(call: ServiceCall): number {
  return progressOf(call.phases.flatMap((p) => p.steps));
}
