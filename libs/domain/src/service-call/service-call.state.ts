import { NotFoundError } from '../shared/domain-error';
import { LIMITS, requiredText } from '../shared/validation';
import { Phase, ServiceCall, Step } from './service-call.types';

export type ServiceCallState = { status: 'NONE'; version: 0 } | ServiceCall;
export const initialServiceCallState: ServiceCallState = { status: 'NONE', version: 0 };

export function callExists(state: ServiceCallState): state is ServiceCall {
  return state.status !== 'NONE';
}

/** Fields a call gained after its first versions; a document an older version stored may lack them. */
type AddedLater = 'notes' | 'escalated' | 'escalations' | 'pauses' | 'feedback' | 'contacts' | 'slaEvents' | 'assignments' | 'routingRound';

/** A call as any version of this code stored it (a read model's document): the fields added since may be missing. */
export type StoredServiceCall = Omit<ServiceCall, AddedLater | 'phases'> &
  Partial<Pick<ServiceCall, AddedLater>> & { phases: (Omit<Phase, 'steps'> & { steps: (Omit<Step, 'attempt'> & { attempt?: number })[] })[] };

/**
 * Upcasts a stored call to today's shape, once, where it is read (evolve does it for the state it is
 * given), so the rest of the code trusts the type instead of defaulting fields everywhere. Returns the
 * call itself when nothing is missing.
 */
export function upcastServiceCall(call: StoredServiceCall): ServiceCall {
  const stepsComplete = call.phases.every((p) => p.steps.every((s) => s.attempt !== undefined));
  const { notes, escalated, escalations, pauses, feedback, contacts, slaEvents, assignments, routingRound } = call;
  if (stepsComplete && notes && escalated !== undefined && escalations && pauses && feedback && contacts && slaEvents && assignments && routingRound !== undefined) {
    return call as ServiceCall;
  }
  return {
    ...call,
    notes: notes ?? [],
    escalated: escalated ?? false,
    escalations: escalations ?? [],
    pauses: pauses ?? [],
    feedback: feedback ?? [],
    contacts: contacts ?? [],
    slaEvents: slaEvents ?? [],
    assignments: assignments ?? [],
    // every call starts in routing round 1
    routingRound: routingRound ?? 1,
    // a step is on its first attempt until it is retried or its phase reopened
    phases: call.phases.map((p) => ({ ...p, steps: p.steps.map((s) => ({ ...s, attempt: s.attempt ?? 1 })) })),
  };
}

export function findPhase(call: ServiceCall, phaseKey: string): Phase {
  const phase = call.phases.find((p) => p.key === phaseKey);
  if (!phase) throw new NotFoundError(`phase ${phaseKey} not found in process ${call.processKey}`, 'phaseKey');
  return phase;
}

export function findStep(call: ServiceCall, stepKey: string): { phase: Phase; step: Step } {
  requiredText('stepKey', stepKey, LIMITS.key);
  for (const phase of call.phases) {
    const step = phase.steps.find((s) => s.key === stepKey);
    if (step) return { phase, step };
  }
  throw new NotFoundError(`step ${stepKey} not found in process ${call.processKey}`, 'stepKey');
}

export function withPhase(call: ServiceCall, phaseKey: string, change: (p: Phase) => Phase): ServiceCall {
  return { ...call, phases: call.phases.map((p) => (p.key === phaseKey ? change(p) : p)) };
}

export function withStep(call: ServiceCall, stepKey: string, change: (s: Step) => Step): ServiceCall {
  return {
    ...call,
    phases: call.phases.map((p) =>
      p.steps.some((s) => s.key === stepKey) ? { ...p, steps: p.steps.map((s) => (s.key === stepKey ? change(s) : s)) } : p,
    ),
  };
}
